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
            throw FederationError.cannotRead(path: path, reason: "not a valid \(type): \(error)")
        }
    }
}
