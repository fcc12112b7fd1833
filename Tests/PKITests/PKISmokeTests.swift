import Testing
@testable import PKI

@Test func PKIModuleLinks() {
    #expect(String(describing: PKIModule.self) == "PKIModule")
}
