import Foundation
import Learning
import PKI

/// The data a spec describes: the training pool the clients partition, the coordinator's validation set
/// (held out from the same pool) and the test set.
public struct DataSplits: Sendable {
    public let pool: Dataset
    public let validation: Dataset
    /// FLTrust's root dataset on the coordinator (empty unless the spec asks for one), held out like `validation`.
    public let root: Dataset
    private let publicSlice: Dataset?
    private let spec: FederationSpec
    /// Index lists into `pool`, one per client.
    public let partitions: [[Int]]

    /// Loads the training pool for `spec` and cuts it into client partitions, validation set and public slice, in
    /// that order (the public slice comes last, so with a train limit the clients' pool and the validation set do
    /// not depend on its size). Synthetic public data is generated apart with its own seed.
    public init(spec: FederationSpec, dataDirectory: String) throws {
        self.spec = spec
        let full: Dataset
        var publicCount = spec.publicSize
        switch spec.dataset {
        case "synthetic":
            full = SyntheticDataset.generate(count: spec.syntheticCount + spec.validationSize + spec.rootSize, seed: spec.partitionSeed)
            publicSlice = nil
            publicCount = 0
        default:
            let limit = spec.trainLimit > 0 ? spec.trainLimit + spec.validationSize + spec.rootSize + spec.publicSize : nil
            let loaded = try FashionMNIST.load(.train, directory: dataDirectory, limit: limit)
            guard loaded.count > spec.publicSize else {
                throw FederationError.invalidSpec("training pool of \(loaded.count) images is too small for \(spec.publicSize) public images")
            }
            publicSlice = loaded.subset(Array((loaded.count - publicCount)..<loaded.count))
            full = loaded
        }
        guard full.count - publicCount > spec.validationSize + spec.rootSize + spec.clients else {
            throw FederationError.invalidSpec("training pool of \(full.count) images is too small for \(spec.validationSize) validation images, \(spec.rootSize) root images, \(publicCount) public images and \(spec.clients) clients")
        }
        // [client pool | root | validation | public]
        let heldOut = full.count - publicCount - spec.validationSize
        let trainCount = heldOut - spec.rootSize
        validation = full.subset(Array(heldOut..<(heldOut + spec.validationSize)))
        root = full.subset(Array(trainCount..<heldOut))
        pool = full.subset(Array(0..<trainCount))
        partitions = Partitioner.partition(labels: pool.labels, classCount: pool.classCount, clients: spec.clients,
                                           scheme: spec.partitionScheme, seed: spec.partitionSeed)
    }

    /// The splits for `spec`, loaded once per process: in-process clusters share one copy between all clients.
    /// Only the `cacheLimit` most recently used specs are kept, so a process running many federations with
    /// different partitions does not grow without bound.
    public static func cached(spec: FederationSpec, dataDirectory: String) throws -> DataSplits {
        let key = spec.json() + "|" + dataDirectory
        cacheLock.lock()
        defer { cacheLock.unlock() }
        if let hit = cache[key] {
            cacheOrder.removeAll { $0 == key }
            cacheOrder.append(key)
            return hit
        }
        let splits = try DataSplits(spec: spec, dataDirectory: dataDirectory)
        cache[key] = splits
        cacheOrder.append(key)
        while cacheOrder.count > cacheLimit { cache[cacheOrder.removeFirst()] = nil }
        return splits
    }

    static let cacheLimit = 4
    private static let cacheLock = NSLock()
    nonisolated(unsafe) private static var cache: [String: DataSplits] = [:]
    nonisolated(unsafe) private static var cacheOrder: [String] = []

    /// The test set for `spec`: Fashion-MNIST's t10k split, or fresh synthetic data.
    public static func testSet(spec: FederationSpec, dataDirectory: String, limit: Int) throws -> Dataset {
        switch spec.dataset {
        case "synthetic":
            return SyntheticDataset.generate(count: limit > 0 ? limit : 2000, seed: spec.partitionSeed &+ 0x5eed)
        default:
            return try FashionMNIST.load(.test, directory: dataDirectory, limit: limit > 0 ? limit : nil)
        }
    }

    /// Public data (`public-size` images) that no client holds and the validation set does not contain; synthetic
    /// public data is generated on demand with its own seed.
    public func publicSet() -> Dataset {
        publicSlice ?? SyntheticDataset.generate(count: spec.publicSize, seed: spec.partitionSeed &+ 0x9ab1_1c)
    }

    /// The shard of client `index`.
    public func shard(_ index: Int) -> Dataset { pool.subset(partitions[index]) }

    /// Hex SHA-256 of `indices` as little-endian u32 (PROTOCOL.md §12.2), for comparing shards across implementations.
    public static func digest(of indices: [Int]) -> String {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(indices.count * 4)
        for i in indices { withUnsafeBytes(of: UInt32(i).littleEndian) { bytes += $0 } }
        return Digest.hex(Digest.sha256(bytes))
    }

    /// The shard index of a client id of the form `client-N` (N in decimal digits, no sign, no leading zero), so each
    /// shard has exactly one id.
    public static func shardIndex(of clientID: String) throws -> Int {
        let digits = clientID.dropFirst("client-".count)
        guard clientID.hasPrefix("client-"), !digits.isEmpty, digits.allSatisfy({ $0 >= "0" && $0 <= "9" }),
              digits == "0" || !digits.hasPrefix("0"), let n = Int(digits) else {
            throw FederationError.badClientID(clientID)
        }
        return n
    }
}
