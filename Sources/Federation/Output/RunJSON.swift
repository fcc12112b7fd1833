import Foundation

/// The JSON conventions of the run files (rounds.jsonl, detections.jsonl, summary.json): snake_case keys made from
/// the Swift property names by the coder's key strategy, sorted keys, and non-finite numbers as "inf"/"-inf"/"nan".
/// Every reader and writer of those files uses these coders, so a key is spelled in one place: its property name.
public enum RunJSON {
    public static func encoder(pretty: Bool = false) -> JSONEncoder {
        let e = JSONEncoder()
        e.outputFormatting = pretty ? [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes] : [.sortedKeys, .withoutEscapingSlashes]
        e.keyEncodingStrategy = .convertToSnakeCase
        e.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        return e
    }

    public static func decoder() -> JSONDecoder {
        let d = JSONDecoder()
        d.keyDecodingStrategy = .convertFromSnakeCase
        d.nonConformingFloatDecodingStrategy = .convertFromString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        return d
    }

    /// A run file's JSON document (summary.json) decoded as `type`.
    public static func decode<T: Decodable>(_ type: T.Type, file path: String) throws -> T {
        guard let data = FileManager.default.contents(atPath: path) else { throw FederationError.cannotRead(path: path, reason: "missing") }
        do { return try decoder().decode(type, from: data) } catch {
            throw FederationError.cannotRead(path: path, reason: "not a valid \(type): \(describe(error))")
        }
    }

    /// A decoding error in a line a reader can act on ("missing key 'round'", "'round' is not of type Int", "not JSON").
    public static func describe(_ error: any Error) -> String {
        guard let error = error as? DecodingError else { return "\(error)" }
        let field = { (context: DecodingError.Context) in
            context.codingPath.map { $0.intValue.map { "[\($0)]" } ?? $0.stringValue }.joined(separator: ".")
        }
        switch error {
        case let .keyNotFound(key, context):
            let parent = field(context)
            return "missing key '\(parent.isEmpty ? "" : parent + ".")\(key.stringValue)'"
        case let .typeMismatch(type, context): return "'\(field(context))' is not of type \(type)"
        case let .valueNotFound(type, context): return "'\(field(context))' is null, expected a \(type)"
        case let .dataCorrupted(context):
            return context.codingPath.isEmpty ? "not JSON (or nested too deeply)" : "'\(field(context))': \(context.debugDescription)"
        @unknown default: return "\(error)"
        }
    }
}
