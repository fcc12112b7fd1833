import Federation
import Foundation

/// Distributions over seeds as standalone SVG: per group one box (quartiles), whiskers (5–95 % quantiles) and the
/// individual seeds as points. Highlighted groups (the attacker) are drawn in red.
public struct SVGDistributionPlot: Sendable {
    public struct Group: Sendable {
        public var label: String
        public var values: [Double]
        public var highlighted: Bool
        public init(label: String, values: [Double], highlighted: Bool = false) {
            self.label = label
            self.values = values
            self.highlighted = highlighted
        }
    }

    public var title: String
    public var valueLabel: String
    public var groups: [Group]

    public init(title: String, valueLabel: String, groups: [Group]) {
        self.title = title
        self.valueLabel = valueLabel
        self.groups = groups
    }

    public func render(width: Double = 760) -> String {
        let frame = SVGRowFrame(title: title, valueLabel: valueLabel, labels: groups.map { ($0.label, $0.highlighted) },
                                values: groups.flatMap(\.values), width: width)
        var marks = ""
        for (k, g) in groups.enumerated() {
            let v = g.values.filter(\.isFinite)
            guard !v.isEmpty else { continue }
            let y = frame.y(k)
            let color = g.highlighted ? "#d62728" : "#1f77b4"
            let q = [0.05, 0.25, 0.5, 0.75, 0.95].map { frame.x(Statistics.quantile(v, $0)) }
            marks += "<g class=\"box\">" + SVGRowFrame.line(q[0], y, q[4], y, color)
            marks += "<rect x=\"\(f(q[1]))\" y=\"\(f(y - 6))\" width=\"\(f(max(q[3] - q[1], 1)))\" height=\"12\" fill=\"\(color)\" fill-opacity=\"0.25\" stroke=\"\(color)\"/>"
            marks += SVGRowFrame.line(q[2], y - 7, q[2], y + 7, color, width: 2)
            for (j, value) in v.enumerated() {
                marks += "<circle cx=\"\(f(frame.x(value)))\" cy=\"\(f(y + (Double(j % 5) - 2) * 1.6))\" r=\"2.2\" fill=\"\(color)\"><title>\(SVGText.escape(g.label)): \(value)</title></circle>"
            }
            marks += "</g>\n"
        }
        return frame.render(marks: marks)
    }

    private func f(_ v: Double) -> String { SVGText.fmt(v) }
}

/// Paired differences with intervals as standalone SVG (a forest plot): one row per effect, the mean as a dot and the
/// confidence interval as a bar, red when it excludes zero; zero as a dashed line.
public struct SVGIntervalPlot: Sendable {
    public struct Row: Sendable {
        public var label: String
        public var mean, low, high: Double
        public init(label: String, mean: Double, low: Double, high: Double) {
            self.label = label
            self.mean = mean
            self.low = low
            self.high = high
        }
    }

    public var title: String
    public var valueLabel: String
    public var rows: [Row]

    public init(title: String, valueLabel: String, rows: [Row]) {
        self.title = title
        self.valueLabel = valueLabel
        self.rows = rows
    }

    public func render(width: Double = 760) -> String {
        let frame = SVGRowFrame(title: title, valueLabel: valueLabel, labels: rows.map { ($0.label, false) },
                                values: rows.flatMap { [$0.low, $0.high, $0.mean] }, width: width)
        var marks = ""
        for (k, r) in rows.enumerated() where r.mean.isFinite && r.low.isFinite && r.high.isFinite {
            let y = frame.y(k)
            let color = r.low > 0 || r.high < 0 ? "#d62728" : "#444"
            marks += "<g class=\"interval\">" + SVGRowFrame.line(frame.x(r.low), y, frame.x(r.high), y, color, width: 3)
            marks += "<circle cx=\"\(SVGText.fmt(frame.x(r.mean)))\" cy=\"\(SVGText.fmt(y))\" r=\"4\" fill=\"\(color)\"><title>\(SVGText.escape(r.label)): \(r.mean) [\(r.low), \(r.high)]</title></circle></g>\n"
        }
        return frame.render(marks: marks)
    }
}

/// The frame both row plots share: title, one labelled row per item, a value axis with ticks and a zero line.
struct SVGRowFrame {
    let title: String
    let valueLabel: String
    let labels: [(String, Bool)]
    let width: Double
    let v0: Double, v1: Double
    let left = 200.0, right = 30.0, top = 40.0, row = 22.0, bottom = 50.0

    init(title: String, valueLabel: String, labels: [(String, Bool)], values: [Double], width: Double) {
        self.title = title
        self.valueLabel = valueLabel
        self.labels = labels
        self.width = width
        let finite = values.filter(\.isFinite)
        var (lo, hi) = (finite.min() ?? 0, finite.max() ?? 1)
        if hi == lo { lo -= 0.5; hi += 0.5 }
        let pad = (hi - lo) * 0.05
        v0 = lo - pad
        v1 = hi + pad
    }

    var plotBottom: Double { top + Double(max(labels.count, 1)) * row }
    func x(_ v: Double) -> Double { left + (v - v0) / (v1 - v0) * (width - left - right) }
    func y(_ k: Int) -> Double { top + Double(k) * row + row / 2 }

    static func line(_ x1: Double, _ y1: Double, _ x2: Double, _ y2: Double, _ color: String, width: Double = 1, dash: Bool = false) -> String {
        "<line x1=\"\(SVGText.fmt(x1))\" y1=\"\(SVGText.fmt(y1))\" x2=\"\(SVGText.fmt(x2))\" y2=\"\(SVGText.fmt(y2))\" stroke=\"\(color)\" stroke-width=\"\(width)\"\(dash ? " stroke-dasharray=\"4 3\"" : "")/>"
    }

    func render(marks: String) -> String {
        let height = plotBottom + bottom
        var svg = """
        <svg xmlns="http://www.w3.org/2000/svg" width="\(Int(width))" height="\(Int(height))" font-family="sans-serif" font-size="11">
        <rect width="100%" height="100%" fill="white"/>
        <text x="10" y="22" font-size="15" font-weight="bold">\(SVGText.escape(title))</text>
        <rect x="\(left)" y="\(top)" width="\(SVGText.fmt(width - left - right))" height="\(SVGText.fmt(plotBottom - top))" fill="none" stroke="#444"/>

        """
        for i in 0...4 {
            let v = v0 + (v1 - v0) * Double(i) / 4
            svg += Self.line(x(v), top, x(v), plotBottom, "#eee")
            svg += "<text x=\"\(SVGText.fmt(x(v)))\" y=\"\(SVGText.fmt(plotBottom + 16))\" text-anchor=\"middle\">\(SVGText.tick(v))</text>\n"
        }
        if v0 < 0, v1 > 0 { svg += Self.line(x(0), top, x(0), plotBottom, "#888", dash: true) + "\n" }
        svg += "<text x=\"\(SVGText.fmt((left + width - right) / 2))\" y=\"\(SVGText.fmt(height - 12))\" text-anchor=\"middle\">\(SVGText.escape(valueLabel))</text>\n"
        for (k, (label, highlighted)) in labels.enumerated() {
            svg += "<text x=\"\(left - 6)\" y=\"\(SVGText.fmt(y(k) + 4))\" text-anchor=\"end\"\(highlighted ? " font-weight=\"bold\" fill=\"#d62728\"" : "")>\(SVGText.escape(label))</text>\n"
        }
        return svg + marks + "</svg>\n"
    }
}

/// Number and text formatting shared with the line charts.
enum SVGText {
    static func fmt(_ v: Double) -> String { v.isFinite ? SVGLineChart.fmt(v) : "0" }
    static func tick(_ v: Double) -> String { SVGLineChart.tick(v) }
    static func escape(_ s: String) -> String { SVGLineChart.escape(s) }
}
