import Testing
@testable import Attribution

@Test func AttributionModuleLinks() {
    #expect(String(describing: AttributionModule.self) == "AttributionModule")
}
