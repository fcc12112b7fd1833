import Foundation
import Transport

/// Which nng pipes are connected, since when, and which verified client identity each is bound to; thread-safe, since
/// nng reports pipe events on its own threads.
///
/// nng 1.5.2 may deliver a pipe's removal before its addition (the reaper runs `REM_POST` while the thread that
/// attached the pipe has yet to run `ADD_POST`), so a removal of an unknown pipe is remembered and the late addition
/// ignored; `sweep` drops any pipe nng itself no longer knows, whatever events arrived.
final class PipeTable: @unchecked Sendable {  // all state behind `lock`
    private let lock = NSLock()
    private var connectedAt: [PipeID: Date] = [:]
    /// Pipes whose removal arrived before their addition, oldest first (bounded).
    private var departedEarly: [PipeID] = []
    private var departedEarlySet: Set<PipeID> = []
    private static let departedEarlyLimit = 4096
    /// Pipes the coordinator closed, since when (until nng reports them gone), and those already reported as not released.
    private var closingSince: [PipeID: Date] = [:]
    private var reportedUnreleased: Set<PipeID> = []
    private var identityOfPipe: [PipeID: String] = [:]
    private var pipeOfIdentity: [String: PipeID] = [:]

    func handle(_ event: PipeEvent, _ pipe: PipeID, at time: Date = Date()) {
        lock.lock()
        defer { lock.unlock() }
        switch event {
        case .added:
            if departedEarlySet.remove(pipe) != nil {
                departedEarly.removeAll { $0 == pipe }
                return
            }
            connectedAt[pipe] = time
        case .removed:
            if connectedAt[pipe] == nil, departedEarlySet.insert(pipe).inserted {
                departedEarly.append(pipe)
                if departedEarly.count > Self.departedEarlyLimit {
                    departedEarlySet.remove(departedEarly.removeFirst())
                }
            }
            forget(pipe)
        }
    }

    /// Drops every pipe for which `exists` is false (nng no longer knows it); returns them.
    @discardableResult
    func sweep(exists: (PipeID) -> Bool) -> [PipeID] {
        lock.lock()
        defer { lock.unlock() }
        let gone = connectedAt.keys.filter { !exists($0) }
        for pipe in gone { forget(pipe) }
        return gone.sorted()
    }

    private func forget(_ pipe: PipeID) {
        connectedAt.removeValue(forKey: pipe)
        closingSince.removeValue(forKey: pipe)
        reportedUnreleased.remove(pipe)
        if let id = identityOfPipe.removeValue(forKey: pipe), pipeOfIdentity[id] == pipe {
            pipeOfIdentity.removeValue(forKey: id)
        }
    }

    var livePipes: Set<PipeID> {
        lock.lock()
        defer { lock.unlock() }
        return Set(connectedAt.keys)
    }

    /// Live pipes bound to a verified member identity: the clients a round waits for.
    var boundPipes: Set<PipeID> {
        lock.lock()
        defer { lock.unlock() }
        return Set(pipeOfIdentity.values.filter { connectedAt[$0] != nil })
    }

    var boundIdentities: [String] {
        lock.lock()
        defer { lock.unlock() }
        return pipeOfIdentity.keys.sorted()
    }

    /// Live pipes with no identity that connected before `time` and are not being closed already.
    func unbound(connectedBefore time: Date) -> [PipeID] {
        lock.lock()
        defer { lock.unlock() }
        return connectedAt.filter { $0.value < time && identityOfPipe[$0.key] == nil && closingSince[$0.key] == nil }.map(\.key).sorted()
    }

    /// Records that the coordinator closed `pipe` (it stays listed until nng reports it gone).
    func markClosing(_ pipe: PipeID, at time: Date = Date()) {
        lock.lock()
        defer { lock.unlock() }
        if connectedAt[pipe] != nil, closingSince[pipe] == nil { closingSince[pipe] = time }
    }

    /// Pipes closed before `time` that nng still lists and that were not reported yet (each is returned once):
    /// connections nng did not release.
    func unreleased(closedBefore time: Date) -> [PipeID] {
        lock.lock()
        defer { lock.unlock() }
        let found = closingSince.filter { $0.value < time && !reportedUnreleased.contains($0.key) }.map(\.key).sorted()
        reportedUnreleased.formUnion(found)
        return found
    }

    /// Closed pipes nng still lists.
    var closingCount: Int {
        lock.lock()
        defer { lock.unlock() }
        return closingSince.count
    }

    func identity(of pipe: PipeID) -> String? {
        lock.lock()
        defer { lock.unlock() }
        return identityOfPipe[pipe]
    }

    /// Binds `pipe` to the verified `identity`; a pipe keeps its first identity, and an identity lives on one pipe.
    /// A pipe that is no longer connected is not bound (its message is still judged on its own).
    func bind(_ pipe: PipeID, to identity: String) -> Rejection? {
        lock.lock()
        defer { lock.unlock() }
        if let bound = identityOfPipe[pipe], bound != identity {
            return .pipeBoundToOtherIdentity(pipe: pipe, bound: bound, claimed: identity)
        }
        if let other = pipeOfIdentity[identity], other != pipe, connectedAt[other] != nil {
            return .identityOnOtherPipe(client: identity, pipe: other)
        }
        guard connectedAt[pipe] != nil else { return nil }
        identityOfPipe[pipe] = identity
        pipeOfIdentity[identity] = pipe
        return nil
    }
}
