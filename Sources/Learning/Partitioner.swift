/// Splits sample indices across clients according to a `PartitionScheme`; disjoint, covering, deterministic per seed.
public enum Partitioner {
    /// One sorted index list per client. Every index in 0..<labels.count appears in exactly one list.
    public static func partition(labels: [Int32], classCount: Int, clients: Int, scheme: PartitionScheme, seed: UInt64) -> [[Int]] {
        precondition(clients > 0, "need at least one client")
        var rng = SeededGenerator(seed: seed)
        var parts: [[Int]]
        switch scheme {
        case .iid:
            parts = iid(count: labels.count, clients: clients, rng: &rng)
        case let .dirichlet(alpha):
            parts = dirichlet(labels: labels, classCount: classCount, clients: clients, alpha: alpha, rng: &rng)
        case let .shards(k):
            parts = shards(labels: labels, clients: clients, perClient: k, rng: &rng)
        }
        for i in parts.indices { parts[i].sort() }
        return parts
    }

    /// Shuffle, then cut into `clients` nearly equal runs.
    static func iid(count: Int, clients: Int, rng: inout SeededGenerator) -> [[Int]] {
        var order = Array(0..<count)
        rng.shuffle(&order)
        return (0..<clients).map { c in Array(order[c * count / clients..<(c + 1) * count / clients]) }
    }

    /// For each class, draw client proportions p ~ Dirichlet(alpha, …, alpha) (normalised Gamma(alpha) draws)
    /// and deal that class's shuffled samples out in those proportions. Redraws (up to 100 times) while some
    /// client would get no sample at all and there are enough samples to avoid that.
    static func dirichlet(labels: [Int32], classCount: Int, clients: Int, alpha: Double, rng: inout SeededGenerator) -> [[Int]] {
        precondition(alpha > 0)
        var byClass = [[Int]](repeating: [], count: classCount)
        for (index, label) in labels.enumerated() { byClass[Int(label)].append(index) }
        var parts: [[Int]] = []
        for _ in 0..<100 {
            parts = [[Int]](repeating: [], count: clients)
            for var members in byClass where !members.isEmpty {
                rng.shuffle(&members)
                let draws = (0..<clients).map { _ in rng.gamma(shape: alpha) }
                let total = draws.reduce(0, +)
                var cumulative = 0.0, start = 0
                for c in 0..<clients {
                    cumulative += draws[c]
                    let end = c == clients - 1 ? members.count : min(members.count, Int((cumulative / total * Double(members.count)).rounded()))
                    if end > start { parts[c].append(contentsOf: members[start..<end]) }
                    start = max(start, end)
                }
            }
            if labels.count < clients || parts.allSatisfy({ !$0.isEmpty }) { break }
        }
        return parts
    }

    /// Sort by label (ties by index), cut into clients·k equal shards, give each client k shards chosen at random.
    static func shards(labels: [Int32], clients: Int, perClient k: Int, rng: inout SeededGenerator) -> [[Int]] {
        precondition(k >= 1)
        let sorted = labels.indices.sorted { (labels[$0], $0) < (labels[$1], $1) }
        let shardCount = clients * k
        var shardOrder = Array(0..<shardCount)
        rng.shuffle(&shardOrder)
        return (0..<clients).map { c in
            shardOrder[c * k..<(c + 1) * k].flatMap { s in
                sorted[s * sorted.count / shardCount..<(s + 1) * sorted.count / shardCount]
            }
        }
    }
}
