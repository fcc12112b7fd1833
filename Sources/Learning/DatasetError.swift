/// Why a data file could not be loaded.
public enum DatasetError: Error, CustomStringConvertible, Equatable {
    case missingFile(path: String)
    case unreadable(path: String, reason: String)
    case badMagic(path: String, found: UInt32, expected: UInt32)
    case truncated(path: String, expectedBytes: Int, gotBytes: Int)
    case countMismatch(images: Int, labels: Int)
    case labelOutOfRange(path: String, index: Int, label: Int, classCount: Int)
    case wrongImageSize(path: String, rows: Int, columns: Int, expectedSide: Int)

    public var description: String {
        switch self {
        case let .missingFile(path):
            return "missing data file \(path)"
        case let .unreadable(path, reason):
            return "cannot read \(path): \(reason)"
        case let .badMagic(path, found, expected):
            return "bad magic \(hex(found)) in \(path), expected \(hex(expected))"
        case let .truncated(path, expected, got):
            return "truncated data in \(path): expected \(expected) bytes, got \(got)"
        case let .countMismatch(images, labels):
            return "image file holds \(images) images but label file holds \(labels) labels"
        case let .labelOutOfRange(path, index, label, classCount):
            return "label \(label) at index \(index) in \(path) is outside 0..<\(classCount)"
        case let .wrongImageSize(path, rows, columns, side):
            return "images in \(path) are \(rows)×\(columns), expected \(side)×\(side)"
        }
    }

    private func hex(_ value: UInt32) -> String {
        let digits = String(value, radix: 16)
        return "0x" + String(repeating: "0", count: max(0, 8 - digits.count)) + digits
    }
}
