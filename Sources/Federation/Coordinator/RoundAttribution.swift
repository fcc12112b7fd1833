import Aggregation
import Attribution
import Foundation
import Learning
import Logging
import PKI
import Wire

/// One round's attribution results: every evaluator's value per participant, and the utilities the game is built on.
public struct RoundScores: Sendable {
    public var clients: [String]
    public var sampleCounts: [Int]
    /// evaluator → one value per client, in `clients` order.
    public var values: [String: [Double]]
    /// U(w_t) and U(w_t + A(all)) on the validation set, from the same evaluator as every coalition.
    public var utilityBefore: Double
    public var utilityAfter: Double
    /// Evaluators that refused the round (e.g. exact Shapley with too many players), with the reason.
    public var failures: [String: String]
    public var coalitionsEvaluated: Int
}

/// The coordinator's scoring step: builds the round's coalition game v(S) = U(w_t + A(S)) − U(w_t) on the
/// validation set, runs the configured evaluators, and records the results in attribution.jsonl and the ledger.
public final class RoundAttribution: @unchecked Sendable {  // used from the coordinator's thread only
    let evaluatorNames: [String]
    private let evaluators: [any Evaluator]
    private let spec: ModelSpec
    private let validation: Dataset
    private let rule: any AggregationRule
    private let utility: CoordinatorConfig.Utility
    private let book: AttributionBook
    private let ledger: Ledger
    /// The validation set split by class, for evaluators that read the game per class; empty when none does.
    private let classSets: [Dataset]
    /// Where the output layer's bias sits in an update, when the model has one.
    private let outputBias: Range<Int>?

    /// Players up to which all 2^N coalitions are evaluated up front, in parallel, when an exact evaluator needs them.
    static let precomputeLimit = 16

    public init(config: CoordinatorConfig, validation: Dataset, rule: any AggregationRule) throws {
        evaluatorNames = config.evaluators
        evaluators = try config.evaluators.map { try EvaluatorRegistry.make($0, options: config.evaluatorOptions[$0] ?? [:]) }
        spec = config.spec.modelSpec
        self.validation = validation
        self.rule = rule
        utility = config.utility
        if evaluators.contains(where: \.readsClassGames) {
            var rows = [[Int]](repeating: [], count: validation.classCount)
            for (row, label) in validation.labels.enumerated() { rows[Int(label)].append(row) }
            classSets = rows.map { validation.subset($0) }
        } else {
            classSets = []
        }
        outputBias = Model(spec: spec, inputShape: validation.featureShape, classCount: validation.classCount, seed: 0).outputBiasRange
        try FileManager.default.createDirectory(atPath: config.outputDirectory, withIntermediateDirectories: true)
        for file in [AttributionBook.fileName, Ledger.fileName] where !config.resume {
            try? FileManager.default.removeItem(atPath: config.outputDirectory + "/" + file)
        }
        book = try AttributionBook(directory: config.outputDirectory, evaluators: config.evaluators)
        ledger = try Ledger(directory: config.outputDirectory)
    }

    /// The state of every evaluator that carries state across rounds, for the checkpoint.
    func evaluatorStates() throws -> [String: String] {
        var states: [String: String] = [:]
        for case let evaluator as any StatefulEvaluator in evaluators { states[evaluator.name] = try evaluator.checkpointState() }
        return states
    }

    /// Restores checkpointed evaluator states (`--resume`); returns the stateful evaluators the checkpoint had no state for.
    func restore(evaluatorStates states: [String: String]) throws -> [String] {
        var missing: [String] = []
        for case let evaluator as any StatefulEvaluator in evaluators {
            if let state = states[evaluator.name] { try evaluator.restore(checkpointState: state) } else { missing.append(evaluator.name) }
        }
        return missing
    }

    /// Evaluators that never read coalition values (geometry only): with only these, no coalition game is evaluated.
    static let gameFreeEvaluators: Set<String> = ["cosine"]
    /// Evaluators that read (almost) every coalition: all 2^N are computed up front when N ≤ `precomputeLimit`.
    static let exhaustiveEvaluators: Set<String> = ["shapley-exact", "mr-shapley", "banzhaf", "gtg-shapley", "large-coalition-shapley",
                                                     "excess-clipped-shapley", "class-supported-shapley"]

    /// Scores the round's participants. `input` is the round's prepared aggregation input: coalition S's model is
    /// base + rule(S) — through the rule's weighted-mean form (first-layer combinations, Gray-code sweep) when it has
    /// one, else one full aggregation and forward pass per coalition.
    public func score(round: Int, input: AggregationInput, aggregate: [Float], logger: Logger) -> RoundScores {
        let n = input.count
        let base = input.base
        let measure = utility
        let u: @Sendable (Evaluation) -> Double = { e in measure == .accuracy ? e.accuracy : -e.loss }
        let game: CachedGame
        let before: Double
        var after: Double? = nil
        let mean = rule.weightedMeanPath(input)
        if evaluatorNames.allSatisfy(Self.gameFreeEvaluators.contains) {
            // Two plain forward passes; the game below is there for RoundInput and is never evaluated by these evaluators.
            var model = Model(spec: spec, parameters: base)
            before = u(model.evaluate(validation))
            model.parameters = ParameterVector.adding(aggregate, to: base)
            after = u(model.evaluate(validation))
            game = directGame(input: input, before: before, utility: u)
        } else if let mean {
            let combination = CombinationEvaluator(spec: spec, base: base, deltas: mean.vectors, data: validation)
            let exhaustive = n <= Self.precomputeLimit && evaluatorNames.contains(where: Self.exhaustiveEvaluators.contains)
            if exhaustive {
                // One incremental pass over all 2^N coalitions (Gray-code order); accuracy skips the loss.
                let raw = combination.sweepWeightedMeans(weights: mean.weights, metric: measure == .accuracy ? .accuracy : .loss)
                let utilities = measure == .accuracy ? raw : raw.map { -$0 }
                before = utilities[0]
                game = CachedGame(playerCount: n, values: utilities.map { $0 - before })
            } else {
                let b = u(combination.evaluate(coefficients: [Float](repeating: 0, count: n)))
                before = b
                game = CachedGame(playerCount: n) { (s: Coalition) in u(combination.evaluate(coefficients: mean.coefficients(where: s.contains))) - b }
            }
        } else {
            let model = Model(spec: spec, parameters: base)
            before = u(model.evaluate(validation))
            game = directGame(input: input, before: before, utility: u)
            if n <= Self.precomputeLimit && evaluatorNames.contains(where: Self.exhaustiveEvaluators.contains) { try? game.precomputeAll() }
        }
        var classGames: [any CoalitionGame]? = nil
        if !classSets.isEmpty, n <= ExactShapleyEvaluator.playerLimit, let mean {
            classGames = classSets.map { classGame($0, base: base, mean: mean) }
        }
        let biasUpdates = outputBias.map { range in input.updates.map { $0.count >= range.upperBound ? Array($0[range]) : [] } }
        let roundInput = RoundInput(round: round, clients: input.clients, sampleCounts: input.sampleCounts, updates: input.updates,
                                    aggregate: aggregate, game: game, classGames: classGames, outputBiasUpdates: biasUpdates)
        var values: [String: [Double]] = [:]
        var failures: [String: String] = [:]
        for evaluator in evaluators {
            do {
                values[evaluator.name] = try evaluator.evaluate(roundInput)
            } catch {
                failures[evaluator.name] = "\(error)"
                logger.warning("evaluator refused the round", metadata: ["round": "\(round)", "evaluator": "\(evaluator.name)", "reason": "\(error)"])
            }
        }
        // The same path as the game's values, so exact Shapley values sum to utilityAfter − utilityBefore.
        let utilityAfter = after ?? before + game.value(of: game.grandCoalition)
        return RoundScores(clients: input.clients, sampleCounts: input.sampleCounts, values: values, utilityBefore: before,
                           utilityAfter: utilityAfter, failures: failures, coalitionsEvaluated: game.evaluations)
    }

    /// The round game on one class's validation images, weighted by their share of the validation set (so the class
    /// games sum to the round game), from one sweep over all 2^N coalitions.
    private func classGame(_ data: Dataset, base: [Float], mean: WeightedMean) -> CachedGame {
        let n = mean.weights.count
        guard data.count > 0 else { return CachedGame(playerCount: n, values: [Double](repeating: 0, count: 1 << n)) }
        let combination = CombinationEvaluator(spec: spec, base: base, deltas: mean.vectors, data: data)
        let raw = combination.sweepWeightedMeans(weights: mean.weights, metric: utility == .accuracy ? .accuracy : .loss)
        let share = Double(data.count) / Double(validation.count)
        let utilities = utility == .accuracy ? raw : raw.map { -$0 }
        return CachedGame(playerCount: n, values: utilities.map { share * ($0 - utilities[0]) })
    }

    /// v(S) = U(base + rule(S)) − U(base), one aggregation and forward pass per coalition: for rules that are not
    /// weighted means. Coalitions too small for the rule get its fallback, exactly as a round with that few updates.
    private func directGame(input: AggregationInput, before: Double, utility u: @escaping @Sendable (Evaluation) -> Double) -> CachedGame {
        let rule = self.rule, spec = self.spec, data = validation
        return CachedGame(playerCount: input.count) { (s: Coalition) in
            let model = Model(spec: spec, parameters: ParameterVector.adding(rule.aggregate(input.subset(where: s.contains)).aggregate,
                                                                             to: input.base))
            return u(model.evaluate(data)) - before
        }
    }

    /// Appends the round to attribution.jsonl and the ledger (a round without participants gets an empty record,
    /// so the chain has one record per round).
    func record(round: Int, scores: RoundScores?, submissions: [SubmissionRecord], refused: [RoundRecord.RejectedMessage],
                modelDigest: [UInt8], nextModel: [Float], flags: [LedgerFlag] = [], aggregation: LedgerAggregation? = nil) throws {
        var records: [AttributionRecord] = []
        if let scores {
            records = try book.record(round: round, clients: scores.clients, sampleCounts: scores.sampleCounts, values: scores.values)
        }
        let entries = submissions.map { s in
            LedgerEntry(client: s.client, certificateDER: s.certificate.der, updateDigest: s.updateDigest,
                        sampleCount: Int(s.update.sampleCount), nonce: s.update.nonce, signature: s.update.signature)
        }
        try ledger.append(round: round, modelDigest: modelDigest, nextModelDigest: Digest.sha256(Wire.WireCodec.tensorBytes(nextModel)),
                          entries: entries, attributions: Ledger.attributions(records),
                          refused: refused.map { LedgerRefusal(client: $0.client, claimedClient: $0.claimedClient, code: $0.code,
                                                               messageDigest: $0.messageSha256) },
                          flags: flags, aggregation: aggregation, utilityBefore: scores?.utilityBefore ?? 0, utilityAfter: scores?.utilityAfter ?? 0)
    }

    func table(round: Int) -> String { book.table(round: round) }

    /// The compact block of `record`'s round for the evaluator `choice` designates; nil when no evaluator scored it.
    func block(_ record: RoundRecord, of total: Int, choice: String) -> AttributionBlock? {
        let records = book.records(round: record.round)
        guard let name = AttributionBlock.evaluator(choice: choice, configured: evaluatorNames, participants: record.participants.count,
                                                    scored: Set(records.map(\.evaluator))) else { return nil }
        return AttributionBlock(round: record, of: total, evaluator: name, records: records,
                                cumulative: book.cumulativeValues(evaluator: name))
    }

    /// The digest of the ledger's last record.
    var ledgerHead: String { ledger.lastDigest }

    /// evaluator → client → cumulative value.
    func cumulative() -> [String: [String: Double]] {
        var out: [String: [String: Double]] = [:]
        for name in evaluatorNames { out[name] = book.cumulativeValues(evaluator: name) }
        return out
    }
}
