import Testing
@testable import PKI
