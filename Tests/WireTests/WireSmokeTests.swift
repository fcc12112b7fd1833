import Testing
@testable import Wire

@Test func WireModuleLinks() {
    #expect(String(describing: WireModule.self) == "WireModule")
}
