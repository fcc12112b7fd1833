import Foundation
import Learning

/// What every participant must agree on to build its data shard and model; travels as JSON in probes and tasks.
public struct FederationSpec: Sendable, Equatable, Codable {
    public var dataset: String
    public var syntheticCount: Int
    public var trainLimit: Int
    public var validationSize: Int
    /// Training images reserved as public data: held by no client and not in the validation set (the attacker's
    /// public generator trains on them).
    public var publicSize: Int
    /// Images held out from the pool for FLTrust's root dataset on the coordinator (0: none, and left out of the JSON).
    public var rootSize: Int = 0
    public var partition: String
    public var partitionSeed: UInt64
    public var clients: Int
    public var model: String

    public init(dataset: String, syntheticCount: Int, trainLimit: Int, validationSize: Int, publicSize: Int = 0,
                partition: String, partitionSeed: UInt64, clients: Int, model: String) {
        self.dataset = dataset
        self.syntheticCount = syntheticCount
        self.trainLimit = trainLimit
        self.validationSize = validationSize
        self.publicSize = publicSize
        self.partition = partition
        self.partitionSeed = partitionSeed
        self.clients = clients
        self.model = model
    }

    /// Camel case: json() and parse(json:) convert to and from snake_case.
    enum CodingKeys: String, CodingKey {
        case dataset, syntheticCount, trainLimit, validationSize, publicSize, rootSize, partition, partitionSeed, clients, model
    }

    /// Decodes every field; `public_size` and `root_size` may be absent (0: no public slice, no root set).
    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        dataset = try c.decode(String.self, forKey: .dataset)
        syntheticCount = try c.decode(Int.self, forKey: .syntheticCount)
        trainLimit = try c.decode(Int.self, forKey: .trainLimit)
        validationSize = try c.decode(Int.self, forKey: .validationSize)
        publicSize = try c.decodeIfPresent(Int.self, forKey: .publicSize) ?? 0
        rootSize = try c.decodeIfPresent(Int.self, forKey: .rootSize) ?? 0
        partition = try c.decode(String.self, forKey: .partition)
        partitionSeed = try c.decode(UInt64.self, forKey: .partitionSeed)
        clients = try c.decode(Int.self, forKey: .clients)
        model = try c.decode(String.self, forKey: .model)
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(dataset, forKey: .dataset)
        try c.encode(syntheticCount, forKey: .syntheticCount)
        try c.encode(trainLimit, forKey: .trainLimit)
        try c.encode(validationSize, forKey: .validationSize)
        try c.encode(publicSize, forKey: .publicSize)
        if rootSize > 0 { try c.encode(rootSize, forKey: .rootSize) }
        try c.encode(partition, forKey: .partition)
        try c.encode(partitionSeed, forKey: .partitionSeed)
        try c.encode(clients, forKey: .clients)
        try c.encode(model, forKey: .model)
    }

    /// Reads the spec's settings, checking each.
    public init(settings: Settings) throws {
        dataset = try settings.required(.dataset)
        guard ["fashion-mnist", "synthetic"].contains(dataset) else {
            throw settings.invalid(.dataset, dataset, "fashion-mnist or synthetic")
        }
        syntheticCount = try settings.int(.syntheticCount, range: 10...10_000_000)
        trainLimit = try settings.int(.trainLimit, range: 0...10_000_000)
        validationSize = try settings.int(.validationSize, range: 1...1_000_000)
        publicSize = try settings.int(.publicSize, range: 0...1_000_000)
        partition = try settings.required(.partition)
        do { _ = try PartitionScheme(parsing: partition) } catch {
            throw settings.invalid(.partition, partition, "iid, dirichlet:ALPHA or shards:K (\(error))")
        }
        partitionSeed = UInt64(try settings.int(.partitionSeed, range: 0...Int.max))
        clients = try settings.int(.clients, range: 1...10_000)
        model = try settings.required(.model)
        do { _ = try ModelSpec(parsing: model) } catch {
            throw settings.invalid(.model, model, "logreg, mlp, mlp:H1,H2,… or cnn (\(error))")
        }
    }

    /// The spec as compact JSON with sorted snake_case keys (docs/PROTOCOL.md §12.1).
    public func json() -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        encoder.keyEncodingStrategy = .convertToSnakeCase
        return String(decoding: try! encoder.encode(self), as: UTF8.self)
    }

    /// Parses and checks a spec received from the coordinator.
    public static func parse(json: String) throws -> FederationSpec {
        let spec: FederationSpec
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        do { spec = try decoder.decode(FederationSpec.self, from: Data(json.utf8)) } catch {
            throw FederationError.invalidSpec("not a federation spec: \(error)")
        }
        guard spec.clients >= 1, spec.validationSize >= 1, spec.rootSize >= 0, spec.trainLimit >= 0, spec.publicSize >= 0, spec.syntheticCount >= 10 else {
            throw FederationError.invalidSpec("sizes out of range in \(json)")
        }
        do {
            _ = try PartitionScheme(parsing: spec.partition)
            _ = try ModelSpec(parsing: spec.model)
        } catch {
            throw FederationError.invalidSpec("\(error)")
        }
        guard ["fashion-mnist", "synthetic"].contains(spec.dataset) else {
            throw FederationError.invalidSpec("unknown dataset '\(spec.dataset)'")
        }
        return spec
    }

    public var modelSpec: ModelSpec { try! ModelSpec(parsing: model) }
    public var partitionScheme: PartitionScheme { try! PartitionScheme(parsing: partition) }
}
