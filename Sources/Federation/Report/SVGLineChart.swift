import Foundation

/// A small line chart rendered as standalone SVG (axes, ticks, one polyline per series, legend): enough to look at
/// accuracy and cumulative attribution over rounds without a plotting library.
public struct SVGLineChart: Sendable {
    public struct Series: Sendable {
        public var name: String
        public var points: [(x: Double, y: Double)]
        /// Drawn thick and red over the others (e.g. the attacker), which are then drawn lighter.
        public var emphasized: Bool
        public init(name: String, points: [(x: Double, y: Double)], emphasized: Bool = false) {
            self.name = name
            self.points = points
            self.emphasized = emphasized
        }
    }

    public var title: String
    public var xLabel: String
    public var yLabel: String
    public var series: [Series]

    public init(title: String, xLabel: String, yLabel: String, series: [Series]) {
        self.title = title
        self.xLabel = xLabel
        self.yLabel = yLabel
        self.series = series
    }

    static let palette = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f",
                          "#bcbd22", "#17becf", "#393b79", "#637939", "#8c6d31", "#843c39", "#7b4173", "#3182bd"]

    public func render(width: Double = 760, height: Double = 420) -> String {
        let left = 70.0, right = 150.0, top = 40.0, bottom = 50.0
        let plotW = width - left - right, plotH = height - top - bottom
        let xs = series.flatMap { $0.points.map(\.x) }, ys = series.flatMap { $0.points.map(\.y) }
        var (x0, x1) = (xs.min() ?? 0, xs.max() ?? 1)
        var (y0, y1) = (ys.min() ?? 0, ys.max() ?? 1)
        if x1 == x0 { x1 = x0 + 1 }
        if y1 == y0 { y0 -= 0.5; y1 += 0.5 }
        let pad = (y1 - y0) * 0.05
        y0 -= pad
        y1 += pad
        let px = { (x: Double) in left + (x - x0) / (x1 - x0) * plotW }
        let py = { (y: Double) in top + (1 - (y - y0) / (y1 - y0)) * plotH }
        var svg = """
        <svg xmlns="http://www.w3.org/2000/svg" width="\(Int(width))" height="\(Int(height))" font-family="sans-serif" font-size="12">
        <rect width="100%" height="100%" fill="white"/>
        <text x="\(left)" y="22" font-size="15" font-weight="bold">\(Self.escape(title))</text>
        <rect x="\(left)" y="\(top)" width="\(plotW)" height="\(plotH)" fill="none" stroke="#444"/>

        """
        for i in 0...4 {
            let y = y0 + (y1 - y0) * Double(i) / 4
            let yy = py(y)
            svg += "<line x1=\"\(left)\" y1=\(q(yy)) x2=\"\(left + plotW)\" y2=\(q(yy)) stroke=\"#ddd\"/>"
            svg += "<text x=\"\(left - 6)\" y=\(q(yy + 4)) text-anchor=\"end\">\(Self.tick(y))</text>\n"
            var x = x0 + (x1 - x0) * Double(i) / 4
            if xs.allSatisfy({ $0 == $0.rounded() }) { x = x.rounded() }  // whole rounds get whole ticks
            svg += "<text x=\(q(px(x))) y=\"\(top + plotH + 18)\" text-anchor=\"middle\">\(Self.tick(x))</text>\n"
        }
        if y0 < 0, y1 > 0 {
            svg += "<line x1=\"\(left)\" y1=\(q(py(0))) x2=\"\(left + plotW)\" y2=\(q(py(0))) stroke=\"#888\" stroke-dasharray=\"4 3\"/>\n"
        }
        svg += "<text x=\(q(left + plotW / 2)) y=\"\(height - 10)\" text-anchor=\"middle\">\(Self.escape(xLabel))</text>\n"
        svg += "<text transform=\"translate(16,\(top + plotH / 2)) rotate(-90)\" text-anchor=\"middle\">\(Self.escape(yLabel))</text>\n"
        let anyEmphasized = series.contains(where: \.emphasized)
        for (k, s) in series.enumerated() {
            let color = s.emphasized ? "#d62728" : Self.palette[k % Self.palette.count]
            let style = s.emphasized ? "stroke-width=\"4\"" : anyEmphasized ? "stroke-width=\"1.5\" stroke-opacity=\"0.55\"" : "stroke-width=\"2\""
            let pts = s.points.map { "\(Self.fmt(px($0.x))),\(Self.fmt(py($0.y)))" }.joined(separator: " ")
            svg += "<polyline fill=\"none\" stroke=\"\(color)\" \(style) points=\"\(pts)\"><title>\(Self.escape(s.name))</title></polyline>\n"
            let ly = top + 14 + Double(k) * 18
            svg += "<line x1=\"\(left + plotW + 12)\" y1=\(q(ly - 4)) x2=\"\(left + plotW + 32)\" y2=\(q(ly - 4)) stroke=\"\(color)\" stroke-width=\"3\"/>"
            svg += "<text x=\"\(left + plotW + 38)\" y=\(q(ly))>\(Self.escape(s.name))</text>\n"
        }
        return svg + "</svg>\n"
    }

    private func q(_ v: Double) -> String { "\"\(Self.fmt(v))\"" }

    /// A coordinate with one decimal.
    public static func fmt(_ v: Double) -> String { String(format: "%.1f", v) }

    /// An axis tick label: whole numbers plain, others with three significant digits.
    public static func tick(_ v: Double) -> String {
        abs(v) >= 100 || v == v.rounded() ? String(format: "%.0f", v) : String(format: "%.3g", v)
    }

    /// Text safe inside SVG/HTML elements.
    public static func escape(_ s: String) -> String {
        s.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;").replacingOccurrences(of: ">", with: "&gt;")
    }
}
