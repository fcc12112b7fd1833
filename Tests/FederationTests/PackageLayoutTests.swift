import Foundation
import Testing

/// The package's declared target dependencies are the modules its sources import (tools/check_dependencies.py), so
/// Package.swift shows the design's one-way dependencies as they are.
@Suite struct PackageLayoutTests {
    @Test func everyTargetDeclaresExactlyTheModulesItImports() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let python = try #require(Tool.find("python3"), "python3 (deploy/install-deps.sh installs it)")
        let result = try Tool.run(python, [root.appendingPathComponent("tools/check_dependencies.py").path, root.path], timeout: 60)
        #expect(result.status == 0 && result.output.hasPrefix("ok: "), "Package.swift and the imports differ:\n\(result.output)")
    }
}
