import Foundation
import Testing
@testable import Experiment
@testable import Federation

/// report.html for an experiment, rendered by headless Chromium (Debian's `chromium`): the charts are in the DOM
/// Chromium parsed, and the screenshot has the attacker's red and the plots' blue in it.
@Suite(.serialized) struct ReportTests {
    static let chromium = "/usr/bin/chromium"

    @Test(.timeLimit(.minutes(4))) func experimentReportRendersInHeadlessChromium() throws {
        let dir = ExperimentRunnerTests.temporaryDirectory("report")
        let plan = ExperimentRunnerTests.plan(conditions: ["honest", "unchanged", "without-client-2"])
        _ = try ExperimentRunnerTests.runner(plan, dir, ExperimentRunnerTests.Lines()).run()
        let path = try HTMLReport.write(directory: dir)
        let html = try String(contentsOfFile: path, encoding: .utf8)
        #expect(!html.contains("http://") || html.contains("xmlns=\"http://www.w3.org/2000/svg\""), "no external resources")
        #expect(!html.contains("<script"))

        try #require(FileManager.default.isExecutableFile(atPath: Self.chromium), "chromium is installed by deploy/install-deps.sh")
        let profile = dir + "/chromium-profile"
        let dom = try Self.chromium(["--dump-dom", "file://" + path], profile: profile)
        for id in ["accuracy-distribution", "accuracy-rounds", "paired-share", "distribution-shapley-exact", "distribution-marginal", "influence"] {
            #expect(dom.contains("<figure id=\"\(id)\">"), "chart \(id) in the rendered page")
        }
        #expect(dom.components(separatedBy: "<svg").count - 1 == 7, "seven charts")
        #expect(dom.contains("unchanged · client-1"), "the attacker's row in the distributions")

        let png = dir + "/report.png"
        _ = try Self.chromium(["--screenshot=" + png, "--window-size=1100,2200", "file://" + path], profile: profile)
        let pixels = try Self.colourCounts(png)
        #expect(pixels.width == 1100 && pixels.height == 2200)
        #expect(pixels.red > 200, "the attacker is drawn in red (\(pixels.red) pixels)")
        #expect(pixels.blue > 200, "the distributions are drawn in blue (\(pixels.blue) pixels)")
    }

    static func chromium(_ arguments: [String], profile: String) throws -> String {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: chromium)
        p.arguments = ["--headless", "--no-sandbox", "--disable-gpu", "--user-data-dir=" + profile] + arguments
        let out = Pipe()
        p.standardOutput = out
        p.standardError = FileHandle.nullDevice
        try p.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        #expect(p.terminationStatus == 0)
        return String(decoding: data, as: UTF8.self)
    }

    /// Width, height and the number of pixels close to the attacker red (#d62728) and the plot blue (#1f77b4),
    /// decoded by Python's zlib (8-bit RGB/RGBA PNG, all five row filters).
    static func colourCounts(_ png: String) throws -> (width: Int, height: Int, red: Int, blue: Int) {
        let script = """
        import struct, sys, zlib
        data = open(sys.argv[1], 'rb').read()
        assert data[:8] == b'\\x89PNG\\r\\n\\x1a\\n'
        pos, idat = 8, b''
        while pos < len(data):
            n, kind = struct.unpack('>I4s', data[pos:pos + 8]); body = data[pos + 8:pos + 8 + n]; pos += 12 + n
            if kind == b'IHDR': w, h, depth, ctype = struct.unpack('>IIBB', body[:10])
            elif kind == b'IDAT': idat += body
        bpp = {2: 3, 6: 4}[ctype]; raw = zlib.decompress(idat); stride = w * bpp
        prev = bytearray(stride); red = blue = 0; i = 0
        for y in range(h):
            f = raw[i]; row = bytearray(raw[i + 1:i + 1 + stride]); i += 1 + stride
            for x in range(stride):
                a = row[x - bpp] if x >= bpp else 0; b = prev[x]; c = prev[x - bpp] if x >= bpp else 0
                if f == 1: row[x] = (row[x] + a) & 255
                elif f == 2: row[x] = (row[x] + b) & 255
                elif f == 3: row[x] = (row[x] + (a + b) // 2) & 255
                elif f == 4:
                    p = a + b - c; pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                    row[x] = (row[x] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
            for x in range(0, stride, bpp):
                r, g, bl = row[x], row[x + 1], row[x + 2]
                if abs(r - 0xd6) < 30 and abs(g - 0x27) < 40 and abs(bl - 0x28) < 40: red += 1
                if abs(r - 0x1f) < 30 and abs(g - 0x77) < 40 and abs(bl - 0xb4) < 40: blue += 1
            prev = row
        print(w, h, red, blue)
        """
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/python3")
        p.arguments = ["-c", script, png]
        let out = Pipe()
        p.standardOutput = out
        try p.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        let v = String(decoding: data, as: UTF8.self).split(separator: " ").compactMap { Int($0.trimmingCharacters(in: .whitespacesAndNewlines)) }
        try #require(v.count == 4, "PNG decoded")
        return (v[0], v[1], v[2], v[3])
    }
}
