import Aggregation
import Foundation
import Learning

/// A round whose updates are in and aggregated: everything its bookkeeping (attribution, evaluation, the round's
/// files) needs, copied out so that the next round's collection can go on beside it.
struct CollectedRound: @unchecked Sendable {  // read by the bookkeeping thread only, after the collecting thread let go
    /// Participants, sample counts, stragglers, refusals, flags, the aggregation decision and the durations so far.
    var record: RoundRecord
    var roundStart: Date
    /// The global model after this round's aggregation.
    var model: Model
    /// Digest of the model the round's task carried.
    var baseDigest: [UInt8]
    /// The robust aggregation's outcome (nil when no update was accepted).
    var outcome: RoundAggregation.Outcome?
    var submissions: [SubmissionRecord]
    /// The identities pinned when the collection ended, for the round's checkpoint.
    var pinnedCertificates: [String: String]
    var timeline: RoundTimeline?
}
