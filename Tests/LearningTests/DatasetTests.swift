import CZlib
import Foundation
import Testing
@testable import Learning

/// Writes crafted IDX files (gzip via zlib's gzwrite) into a fresh temporary directory.
struct IDXFixture {
    let directory: String

    init() {
        directory = NSTemporaryDirectory() + "fedattr-idx-" + UUID().uuidString
        try! FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    }

    func remove() { try? FileManager.default.removeItem(atPath: directory) }

    static func bigEndian(_ words: [UInt32]) -> [UInt8] {
        words.flatMap { w in [UInt8(w >> 24), UInt8((w >> 16) & 0xFF), UInt8((w >> 8) & 0xFF), UInt8(w & 0xFF)] }
    }

    func write(_ name: String, _ bytes: [UInt8]) {
        let file = gzopen(directory + "/" + name, "wb")!
        bytes.withUnsafeBytes { _ = gzwrite(file, $0.baseAddress, UInt32($0.count)) }
        gzclose(file)
    }

    /// `count` images of rows×columns (pixel i of image n = (n + i) mod 256) and the given labels.
    func writeSplit(_ prefix: String = "train", count: Int, rows: Int = 28, columns: Int = 28, labels: [UInt8],
                    imageMagic: UInt32 = 0x803, labelMagic: UInt32 = 0x801, labelCount: Int? = nil, dropImageBytes: Int = 0) {
        var images = IDXFixture.bigEndian([imageMagic, UInt32(count), UInt32(rows), UInt32(columns)])
        for n in 0..<count { for i in 0..<(rows * columns) { images.append(UInt8((n + i) % 256)) } }
        write("\(prefix)-images-idx3-ubyte.gz", Array(images.dropLast(dropImageBytes)))
        write("\(prefix)-labels-idx1-ubyte.gz", IDXFixture.bigEndian([labelMagic, UInt32(labelCount ?? labels.count)]) + labels)
    }
}

@Suite struct DatasetTests {
    @Test func loadsWellFormedFiles() throws {
        let fixture = IDXFixture(); defer { fixture.remove() }
        fixture.writeSplit("t10k", count: 3, labels: [9, 0, 4])
        let data = try FashionMNIST.load(.test, directory: fixture.directory)
        #expect(data.count == 3)
        #expect(data.featureShape == [1, 28, 28])
        #expect(data.labels == [9, 0, 4])
        #expect(data.features[0..<6] == [0, 1, 2, 3, 4, 5].map { Float($0) / 255 }[...])
        #expect(data.features[784] == Float(1) / 255)
        let limited = try FashionMNIST.load(.test, directory: fixture.directory, limit: 2)
        #expect(limited.count == 2 && limited.labels == [9, 0])
    }

    @Test func missingFileNamesThePath() {
        let fixture = IDXFixture(); defer { fixture.remove() }
        let expectedPath = fixture.directory + "/train-images-idx3-ubyte.gz"
        #expect(throws: DatasetError.missingFile(path: expectedPath)) { try FashionMNIST.load(.train, directory: fixture.directory) }
        #expect(DatasetError.missingFile(path: expectedPath).description.contains(expectedPath))
    }

    @Test func badImageMagic() {
        let fixture = IDXFixture(); defer { fixture.remove() }
        fixture.writeSplit(count: 1, labels: [1], imageMagic: 0x801)
        #expect(throws: DatasetError.badMagic(path: fixture.directory + "/train-images-idx3-ubyte.gz", found: 0x801, expected: 0x803)) {
            try FashionMNIST.load(.train, directory: fixture.directory)
        }
        #expect(DatasetError.badMagic(path: "f", found: 0x801, expected: 0x803).description == "bad magic 0x00000801 in f, expected 0x00000803")
    }

    @Test func badLabelMagic() {
        let fixture = IDXFixture(); defer { fixture.remove() }
        fixture.writeSplit(count: 1, labels: [1], labelMagic: 0x1234)
        #expect(throws: DatasetError.badMagic(path: fixture.directory + "/train-labels-idx1-ubyte.gz", found: 0x1234, expected: 0x801)) {
            try FashionMNIST.load(.train, directory: fixture.directory)
        }
    }

    @Test func truncatedPixels() {
        let fixture = IDXFixture(); defer { fixture.remove() }
        fixture.writeSplit(count: 2, labels: [1, 2], dropImageBytes: 4)   // 1568 pixel bytes announced, 1564 present
        #expect(throws: DatasetError.truncated(path: fixture.directory + "/train-images-idx3-ubyte.gz", expectedBytes: 1568, gotBytes: 1564)) {
            try FashionMNIST.load(.train, directory: fixture.directory)
        }
    }

    /// Fashion-MNIST images are 28×28: any other size in the header is refused, naming the file and both sizes,
    /// before a pixel is read (65536×65536 would have asked for 257 TB).
    @Test(arguments: [(14, 14), (1, 1), (0, 0), (28, 14), (65536, 65536)])
    func imagesOfAnotherSizeAreRefused(rows: Int, columns: Int) {
        let fixture = IDXFixture(); defer { fixture.remove() }
        fixture.writeSplit(count: 1, labels: [1])
        fixture.write("train-images-idx3-ubyte.gz", IDXFixture.bigEndian([0x803, 1, UInt32(rows), UInt32(columns)]) + [1, 2, 3])
        let path = fixture.directory + "/train-images-idx3-ubyte.gz"
        #expect(throws: DatasetError.wrongImageSize(path: path, rows: rows, columns: columns, expectedSide: 28)) {
            try FashionMNIST.load(.train, directory: fixture.directory)
        }
        #expect(DatasetError.wrongImageSize(path: path, rows: rows, columns: columns, expectedSide: 28).description
                == "images in \(path) are \(rows)×\(columns), expected 28×28")
    }

    /// A header that claims four billion images over one image's pixels gets `truncated` with both sizes; memory
    /// follows the bytes present (allocating the claim, 3 TB, would end the process).
    @Test func aHeaderClaimingMoreImagesThanTheFileHoldsIsRefused() {
        let fixture = IDXFixture(); defer { fixture.remove() }
        fixture.writeSplit(count: 1, labels: [1])
        let pixels = [UInt8](repeating: 7, count: 784)
        fixture.write("train-images-idx3-ubyte.gz", IDXFixture.bigEndian([0x803, 4_000_000_000, 28, 28]) + pixels)
        fixture.write("train-labels-idx1-ubyte.gz", IDXFixture.bigEndian([0x801, 4_000_000_000]) + [1])
        #expect(throws: DatasetError.truncated(path: fixture.directory + "/train-images-idx3-ubyte.gz",
                                               expectedBytes: 4_000_000_000 * 784, gotBytes: 784)) {
            try FashionMNIST.load(.train, directory: fixture.directory)
        }
        // The reader under both files: asked for the label header's claim, it holds the 9 bytes there are.
        #expect(throws: DatasetError.truncated(path: fixture.directory + "/train-labels-idx1-ubyte.gz", expectedBytes: 4_000_000_000, gotBytes: 9)) {
            try GzipReader(path: fixture.directory + "/train-labels-idx1-ubyte.gz").read(4_000_000_000)
        }
    }

    @Test func truncatedHeader() {
        let fixture = IDXFixture(); defer { fixture.remove() }
        fixture.writeSplit(count: 1, labels: [1])
        fixture.write("train-images-idx3-ubyte.gz", [0, 0, 8, 3, 0, 0])
        #expect(throws: DatasetError.truncated(path: fixture.directory + "/train-images-idx3-ubyte.gz", expectedBytes: 16, gotBytes: 6)) {
            try FashionMNIST.load(.train, directory: fixture.directory)
        }
    }

    @Test func truncatedLabels() {
        let fixture = IDXFixture(); defer { fixture.remove() }
        fixture.writeSplit(count: 3, labels: [1, 2], labelCount: 3)      // header says 3 labels, 2 present
        #expect(throws: DatasetError.truncated(path: fixture.directory + "/train-labels-idx1-ubyte.gz", expectedBytes: 3, gotBytes: 2)) {
            try FashionMNIST.load(.train, directory: fixture.directory)
        }
    }

    @Test func countMismatch() {
        let fixture = IDXFixture(); defer { fixture.remove() }
        fixture.writeSplit(count: 3, labels: [1, 2])
        #expect(throws: DatasetError.countMismatch(images: 3, labels: 2)) { try FashionMNIST.load(.train, directory: fixture.directory) }
    }

    @Test func labelOutOfRange() {
        let fixture = IDXFixture(); defer { fixture.remove() }
        fixture.writeSplit(count: 3, labels: [1, 10, 2])
        #expect(throws: DatasetError.labelOutOfRange(path: fixture.directory + "/train-labels-idx1-ubyte.gz", index: 1, label: 10, classCount: 10)) {
            try FashionMNIST.load(.train, directory: fixture.directory)
        }
    }

    @Test func realFashionMNISTHeaders() throws {
        let test = try FashionMNIST.load(.test)
        #expect(test.count == 10_000)
        #expect(test.featureShape == [1, 28, 28])
        #expect(test.labelHistogram() == [Int](repeating: 1000, count: 10))
        #expect(test.features.allSatisfy { $0 >= 0 && $0 <= 1 })
        #expect(test.features.max() == 1)
    }

    @Test func subsetAndHistogram() {
        let data = Dataset(features: [0, 1, 2, 3, 4, 5], labels: [2, 0, 2], featureShape: [2], classCount: 3)
        let picked = data.subset([2, 0])
        #expect(picked.features == [4, 5, 0, 1])
        #expect(picked.labels == [2, 2])
        #expect(picked.labelHistogram() == [0, 0, 2])
        #expect(data.labelHistogram() == [1, 0, 2])
    }

    @Test func syntheticIsDeterministicAndBalanced() {
        let a = SyntheticDataset.generate(count: 500, seed: 1), b = SyntheticDataset.generate(count: 500, seed: 1)
        let c = SyntheticDataset.generate(count: 500, seed: 2)
        #expect(a.features == b.features && a.labels == b.labels)
        #expect(a.features != c.features)
        #expect(a.featureShape == [1, 28, 28] && a.classCount == 10)
        #expect(a.labelHistogram() == [Int](repeating: 50, count: 10))
        #expect(a.features.allSatisfy { $0 >= 0 && $0 <= 1 })
    }
}
