import PKI
import Wire

/// An accepted update with the certificate that vouched for it, as the ledger records it.
struct SubmissionRecord {
    var client: String
    var certificate: Certificate
    var update: UpdateMessage
    var updateDigest: [UInt8]
}
