import Logging

/// The line a client logs for every update it sends (`msg="update sent"`). `fedattr bench` reads these lines back to
/// time the clients, so the fields are written and parsed here only.
public struct UpdateSentEvent: Sendable, Equatable {
    public static let message: Logger.Message = "update sent"

    public var round: UInt64
    public var samples: UInt32
    public var trainLoss: Double
    /// Milliseconds from receiving the task to the encoded update: training (the strategy), digests, signing, encoding.
    public var workMillis: Int
    /// Milliseconds the send itself took (time blocked handing the message to nng).
    public var sendMillis: Int

    public init(round: UInt64, samples: UInt32, trainLoss: Double, workMillis: Int, sendMillis: Int) {
        self.round = round
        self.samples = samples
        self.trainLoss = trainLoss
        self.workMillis = workMillis
        self.sendMillis = sendMillis
    }

    public var metadata: Logger.Metadata {
        ["round": "\(round)", "samples": "\(samples)", "train_loss": "\(trainLoss)",
         "work_ms": "\(workMillis)", "send_ms": "\(sendMillis)"]
    }

    /// The event of a logfmt line written by `LogfmtLogHandler` with this message, or nil for any other line.
    public init?<S: StringProtocol>(logfmtLine line: S) {
        guard line.contains("msg=\"\(Self.message)\"") else { return nil }
        func field(_ key: String) -> Substring? {
            guard let range = line.range(of: " \(key)=") else { return nil }
            return Substring(line[range.upperBound...].prefix { $0 != " " })
        }
        guard let round = field("round").flatMap({ UInt64($0) }), let samples = field("samples").flatMap({ UInt32($0) }),
              let loss = field("train_loss").flatMap({ Double($0) }), let work = field("work_ms").flatMap({ Int($0) }),
              let send = field("send_ms").flatMap({ Int($0) }) else { return nil }
        self.init(round: round, samples: samples, trainLoss: loss, workMillis: work, sendMillis: send)
    }
}
