import Testing
@testable import Federation

@Test func FederationModuleLinks() {
    #expect(String(describing: FederationModule.self) == "FederationModule")
}
