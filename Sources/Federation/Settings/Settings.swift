import Foundation
import Learning
import Transport
import Yams

/// Resolved option values with where each came from; precedence is flag > environment > config file > default.
public struct Settings: Sendable {
    /// Where a value came from, for error messages and the startup log.
    public enum Source: Sendable, Equatable, CustomStringConvertible {
        case flag, environment(String), file(String), defaultValue
        public var description: String {
            switch self {
            case .flag: return "flag"
            case let .environment(name): return "environment \(name)"
            case let .file(path): return "config file \(path)"
            case .defaultValue: return "default"
            }
        }
    }

    private var values: [String: (value: String, source: Source)] = [:]

    /// Resolves every setting of `catalog` from the layers. `flags` maps setting names to the values given on the
    /// command line; `configFile` is a YAML file of `name: value` pairs (unknown keys are an error).
    public init(flags: [String: String], environment: [String: String] = ProcessInfo.processInfo.environment,
                configFile: String? = nil, catalog: [Setting] = Setting.catalog) throws {
        var fileValues: [String: String] = [:]
        if let configFile {
            fileValues = try Self.readConfigFile(configFile, catalog: catalog)
        }
        for name in flags.keys where !catalog.contains(where: { $0.name == name }) {
            throw FederationError.unknownSetting(key: name, source: "flags")
        }
        for setting in catalog {
            if let v = flags[setting.name] {
                values[setting.name] = (v, .flag)
            } else if let v = environment[setting.environmentVariable] {
                values[setting.name] = (v, .environment(setting.environmentVariable))
            } else if let v = fileValues[setting.name] {
                values[setting.name] = (v, .file(configFile!))
            } else if let v = setting.defaultValue {
                values[setting.name] = (v, .defaultValue)
            }
        }
    }

    /// Largest config file read; settings files are a few hundred bytes.
    static let maxConfigBytes = 1 << 20
    /// Deepest nesting of lists or mappings a config file may use (its values are scalars or lists of scalars).
    static let maxConfigNesting = 8

    /// Why `text` is not a flat file of `setting: value` pairs, before it reaches the YAML library: nesting deep
    /// enough to exhaust the parser's stack, or anchors and aliases (a few hundred bytes of aliases expand to gigabytes).
    static func flatYAMLProblem(_ text: String) -> String? {
        let tokenStarts: Set<UInt8> = [0x0a, 0x20, 0x09, UInt8(ascii: ":"), UInt8(ascii: ","), UInt8(ascii: "["), UInt8(ascii: "{"),
                                       UInt8(ascii: "-")]
        var depth = 0, quote: UInt8? = nil, previous: UInt8 = 0x0a, comment = false
        let bytes = Array(text.utf8)
        for (i, byte) in bytes.enumerated() {
            defer { previous = byte }
            if byte == 0x0a { comment = false }
            if comment { continue }
            if let q = quote {
                if byte == q && !(q == UInt8(ascii: "\"") && previous == UInt8(ascii: "\\")) { quote = nil }
                continue
            }
            let atTokenStart = tokenStarts.contains(previous)
            switch byte {
            case UInt8(ascii: "#") where previous == 0x20 || previous == 0x09 || previous == 0x0a: comment = true
            case UInt8(ascii: "'") where atTokenStart, UInt8(ascii: "\"") where atTokenStart: quote = byte
            case UInt8(ascii: "["), UInt8(ascii: "{"):
                depth += 1
                if depth > maxConfigNesting { return "lists or mappings nested more than \(maxConfigNesting) levels; a config file holds setting: value pairs" }
            case UInt8(ascii: "]"), UInt8(ascii: "}"): depth = max(0, depth - 1)
            case UInt8(ascii: "&"), UInt8(ascii: "*"):
                guard atTokenStart && i + 1 < bytes.count && ![0x20, 0x09, 0x0a, 0x0d].contains(bytes[i + 1]) else { break }
                return "uses a YAML anchor or alias (\(byte == UInt8(ascii: "&") ? "&" : "*")…); write each value out"
            default: break
            }
        }
        for line in text.split(separator: "\n") {
            let content = line.drop { $0 == " " || $0 == "\t" || $0 == "-" }
            let prefix = line.count - content.count
            if prefix > 4 * maxConfigNesting { return "a line indented or nested \(prefix) characters deep; a config file holds setting: value pairs" }
        }
        return nil
    }

    static func readConfigFile(_ path: String, catalog: [Setting]) throws -> [String: String] {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw FederationError.cannotRead(path: path, reason: "no such file")
        }
        guard !isDirectory.boolValue else { throw FederationError.cannotRead(path: path, reason: "a directory, not a YAML file") }
        guard let data = FileManager.default.contents(atPath: path) else {
            throw FederationError.cannotRead(path: path, reason: "not readable")
        }
        guard data.count <= maxConfigBytes else {
            throw FederationError.cannotRead(path: path, reason: "\(data.count) bytes; a config file of settings is at most \(maxConfigBytes)")
        }
        guard let text = String(data: data, encoding: .utf8) else { throw FederationError.cannotRead(path: path, reason: "not UTF-8 text") }
        if let problem = flatYAMLProblem(text) { throw FederationError.cannotRead(path: path, reason: problem) }
        let parsed: Any?
        do { parsed = try Yams.load(yaml: text) } catch {
            throw FederationError.cannotRead(path: path, reason: "not valid YAML: \(error)")
        }
        guard let parsed else { return [:] }
        guard let mapping = parsed as? [String: Any] else {
            throw FederationError.cannotRead(path: path, reason: "expected a mapping of setting: value")
        }
        var out: [String: String] = [:]
        for (key, value) in mapping {
            guard catalog.contains(where: { $0.name == key }) else {
                throw FederationError.unknownSetting(key: key, source: "config file \(path)")
            }
            switch value {
            case let list as [Any]: out[key] = list.map { "\($0)" }.joined(separator: ",")
            case let flag as Bool: out[key] = flag ? "true" : "false"
            default: out[key] = "\(value)"
            }
        }
        return out
    }

    /// The value of `setting`, if any layer or the default gives one.
    public func string(_ setting: Setting) -> String? { values[setting.name]?.value }

    /// The source of `setting`'s value.
    public func source(_ setting: Setting) -> Source? { values[setting.name]?.source }

    public func required(_ setting: Setting) throws -> String {
        guard let v = string(setting) else { throw FederationError.missingSetting(key: setting.name) }
        return v
    }

    /// A directory setting (`--out`): present and not empty.
    public func directory(_ setting: Setting) throws -> String {
        let v = try required(setting)
        guard !v.trimmingCharacters(in: .whitespaces).isEmpty else { throw invalid(setting, v, "a directory path") }
        return v
    }

    public func int(_ setting: Setting, range: ClosedRange<Int> = Int.min...Int.max) throws -> Int {
        let raw = try required(setting)
        guard let v = Int(raw.trimmingCharacters(in: .whitespaces)), range.contains(v) else {
            throw invalid(setting, raw, "an integer in \(range.lowerBound)...\(range.upperBound)")
        }
        return v
    }

    public func double(_ setting: Setting, range: ClosedRange<Double> = -Double.greatestFiniteMagnitude...Double.greatestFiniteMagnitude) throws -> Double {
        let raw = try required(setting)
        guard let v = Double(raw.trimmingCharacters(in: .whitespaces)), v.isFinite, range.contains(v) else {
            throw invalid(setting, raw, "a number in \(range.lowerBound)...\(range.upperBound)")
        }
        return v
    }

    public func bool(_ setting: Setting) throws -> Bool {
        let raw = try required(setting)
        switch raw.lowercased() {
        case "true", "yes", "1", "on": return true
        case "false", "no", "0", "off": return false
        default: throw invalid(setting, raw, "true or false")
        }
    }

    public func list(_ setting: Setting) throws -> [String] {
        try required(setting).split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
    }

    /// A URL setting the federation can use (`TransportURL.supportedSchemes`).
    public func transportURL(_ setting: Setting) throws -> TransportURL {
        let raw = try required(setting)
        guard let url = try? TransportURL(raw), url.isSupported else {
            throw invalid(setting, raw, "a tls+tcp://, tcp://, ipc:// or inproc:// URL")
        }
        return url
    }

    public func tlsEngine() throws -> TLSEngine {
        let raw = try required(.tlsEngine)
        guard let engine = TLSEngine(rawValue: raw) else {
            throw invalid(.tlsEngine, raw, TLSEngine.allCases.map(\.rawValue).joined(separator: " or "))
        }
        return engine
    }

    /// `FEDATTR_*` variables of `environment` that no setting reads, sorted: a misspelled name is otherwise
    /// ignored without a word (the daemons log a warning for each).
    public static func unknownEnvironmentVariables(_ environment: [String: String] = ProcessInfo.processInfo.environment,
                                                   catalog: [Setting] = Setting.catalog) -> [String] {
        // The marker of a process that chose its OpenBLAS kernels at start-up is fedattr's own, not a setting.
        let known = Set(catalog.map(\.environmentVariable) + [OpenBLASKernel.markerVariable])
        return environment.keys.filter { $0.hasPrefix("FEDATTR_") && !known.contains($0) }.sorted()
    }

    public func invalid(_ setting: Setting, _ value: String, _ expected: String) -> FederationError {
        .invalidSetting(key: setting.name, value: value, source: source(setting)?.description ?? "unset", expected: expected)
    }
}
