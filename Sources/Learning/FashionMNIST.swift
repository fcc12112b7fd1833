import CZlib
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Loader for the gzipped IDX files of Fashion-MNIST (60k train / 10k test, 28×28 grey images, 10 classes); pixels scaled to [0, 1].
public enum FashionMNIST {
    public static let defaultDirectory = "/usr/share/datasets/fashion-mnist"

    /// Which file pair to read.
    public enum Split: String, Sendable {
        case train, test

        var filePrefix: String { self == .train ? "train" : "t10k" }
    }

    static let imageMagic: UInt32 = 0x0000_0803
    static let labelMagic: UInt32 = 0x0000_0801
    static let classCount = 10
    static let side = 28

    /// Reads `<prefix>-images-idx3-ubyte.gz` and `<prefix>-labels-idx1-ubyte.gz`; `limit` keeps only the first samples.
    /// Refuses images that are not 28×28, and headers that claim more samples than the files hold.
    public static func load(_ split: Split, directory: String = defaultDirectory, limit: Int? = nil) throws -> Dataset {
        let imagePath = directory + "/\(split.filePrefix)-images-idx3-ubyte.gz"
        let labelPath = directory + "/\(split.filePrefix)-labels-idx1-ubyte.gz"
        let images = try GzipReader(path: imagePath)
        let labels = try GzipReader(path: labelPath)

        let imageHeader = try images.readBigEndianWords(4)
        guard imageHeader[0] == imageMagic else {
            throw DatasetError.badMagic(path: imagePath, found: imageHeader[0], expected: imageMagic)
        }
        let labelHeader = try labels.readBigEndianWords(2)
        guard labelHeader[0] == labelMagic else {
            throw DatasetError.badMagic(path: labelPath, found: labelHeader[0], expected: labelMagic)
        }
        let imageCount = Int(imageHeader[1]), labelCount = Int(labelHeader[1])
        guard imageCount == labelCount else { throw DatasetError.countMismatch(images: imageCount, labels: labelCount) }

        let rows = Int(imageHeader[2]), columns = Int(imageHeader[3])
        guard rows == side, columns == side else {
            throw DatasetError.wrongImageSize(path: imagePath, rows: rows, columns: columns, expectedSide: side)
        }
        let count = min(imageCount, max(0, limit ?? imageCount))
        let pixels = try images.read(count * rows * columns)
        let rawLabels = try labels.read(count)

        var labelValues = [Int32](repeating: 0, count: count)
        for (index, label) in rawLabels.enumerated() {
            guard Int(label) < classCount else {
                throw DatasetError.labelOutOfRange(path: labelPath, index: index, label: Int(label), classCount: classCount)
            }
            labelValues[index] = Int32(label)
        }
        var features = [Float](repeating: 0, count: pixels.count)
        features.withUnsafeMutableBufferPointer { target in
            pixels.withUnsafeBufferPointer { source in
                for i in 0..<source.count { target[i] = Float(source[i]) / 255 }
            }
        }
        return Dataset(features: features, labels: labelValues, featureShape: [1, rows, columns], classCount: classCount)
    }
}

/// Sequential reader over a gzip file (zlib's gzread); closes the file when released.
final class GzipReader {
    let path: String
    private let file: gzFile

    init(path: String) throws {
        self.path = path
        guard access(path, F_OK) == 0 else { throw DatasetError.missingFile(path: path) }
        guard let file = gzopen(path, "rb") else { throw DatasetError.unreadable(path: path, reason: "gzopen failed") }
        self.file = file
    }

    deinit { gzclose(file) }

    /// Exactly `count` bytes, or `.truncated` saying how many were there. Memory grows with the bytes the file holds,
    /// not with `count`, which comes from the file's header.
    func read(_ count: Int) throws -> [UInt8] {
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: min(count, Self.chunkSize))
        while bytes.count < count {
            let wanted = UInt32(min(count - bytes.count, chunk.count))
            let n = chunk.withUnsafeMutableBytes { gzread(file, $0.baseAddress!, wanted) }
            if n < 0 {
                var code: Int32 = 0
                let message = gzerror(file, &code).map { String(cString: $0) } ?? "error \(code)"
                throw DatasetError.unreadable(path: path, reason: message)
            }
            if n == 0 { break }
            bytes.append(contentsOf: chunk[0..<Int(n)])
        }
        guard bytes.count == count else { throw DatasetError.truncated(path: path, expectedBytes: count, gotBytes: bytes.count) }
        return bytes
    }

    static let chunkSize = 1 << 22

    func readBigEndianWords(_ count: Int) throws -> [UInt32] {
        let bytes = try read(4 * count)
        return (0..<count).map { i in
            bytes[4 * i..<4 * i + 4].reduce(UInt32(0)) { ($0 << 8) | UInt32($1) }
        }
    }
}
