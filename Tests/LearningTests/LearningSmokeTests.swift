import Testing
@testable import Learning

@Test func LearningModuleLinks() {
    #expect(String(describing: LearningModule.self) == "LearningModule")
}
