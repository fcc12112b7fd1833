import Foundation
import Testing
@testable import Federation

/// The coordinator's view of connections, whatever order nng reports pipe events in.
struct PipeTableTests {
    @Test func aRemovalReportedBeforeItsAdditionLeavesNoGhost() {
        let table = PipeTable()
        table.handle(.removed, 7)
        table.handle(.added, 7)
        #expect(table.livePipes.isEmpty)
        table.handle(.added, 8)
        #expect(table.livePipes == [8])
    }

    @Test func onlyBoundLivePipesAreWaitedForAndAGonePipeIsForgotten() {
        let table = PipeTable()
        let old = Date(timeIntervalSinceNow: -60)
        for pipe: UInt32 in [1, 2, 3] { table.handle(.added, pipe, at: old) }
        #expect(table.bind(1, to: "client-0") == nil)
        #expect(table.boundPipes == [1])
        #expect(table.unbound(connectedBefore: Date()) == [2, 3])
        #expect(table.unbound(connectedBefore: old) == [], "connected at `old`, not before it")
        // nng no longer knows pipes 1 and 3, although no removal event came.
        #expect(table.sweep { $0 == 2 } == [1, 3])
        #expect(table.livePipes == [2])
        #expect(table.boundPipes.isEmpty && table.boundIdentities.isEmpty)
        // client-0 may now bind on another pipe; a pipe that is gone binds nothing.
        #expect(table.bind(2, to: "client-0") == nil)
        #expect(table.bind(9, to: "client-1") == nil)
        #expect(table.boundIdentities == ["client-0"])
    }

    /// A closed pipe is not offered for closing again, and one nng keeps listing is reported once, until it is gone.
    @Test func aClosedPipeIsClosedOnceAndReportedOnceIfNotReleased() {
        let table = PipeTable()
        let old = Date(timeIntervalSinceNow: -60)
        for pipe: UInt32 in [1, 2] { table.handle(.added, pipe, at: old) }
        table.markClosing(1, at: old)
        table.markClosing(5, at: old)  // unknown: nothing to track
        #expect(table.unbound(connectedBefore: Date()) == [2])
        #expect(table.closingCount == 1)
        #expect(table.unreleased(closedBefore: old) == [], "closed at `old`, not before it")
        #expect(table.unreleased(closedBefore: Date()) == [1])
        #expect(table.unreleased(closedBefore: Date()) == [], "reported once")
        table.handle(.removed, 1)
        #expect(table.closingCount == 0 && table.livePipes == [2])
    }

    @Test func anIdentityLivesOnOnePipeAndAPipeKeepsItsIdentity() {
        let table = PipeTable()
        table.handle(.added, 1)
        table.handle(.added, 2)
        #expect(table.bind(1, to: "client-0") == nil)
        #expect(table.bind(2, to: "client-0") == .identityOnOtherPipe(client: "client-0", pipe: 1))
        #expect(table.bind(1, to: "client-1") == .pipeBoundToOtherIdentity(pipe: 1, bound: "client-0", claimed: "client-1"))
        table.handle(.removed, 1)
        #expect(table.bind(2, to: "client-0") == nil)
    }
}
