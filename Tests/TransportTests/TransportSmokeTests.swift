import Testing
@testable import Transport

@Test func TransportModuleLinks() {
    #expect(String(describing: TransportModule.self) == "TransportModule")
}
