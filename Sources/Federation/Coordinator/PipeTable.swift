import Foundation
import Transport

/// Which nng pipes are connected and which verified client identity each is bound to; thread-safe, since nng
/// reports pipe events on its own threads.
final class PipeTable: @unchecked Sendable {  // all state behind `lock`
    private let lock = NSLock()
    private var live: Set<PipeID> = []
    private var identityOfPipe: [PipeID: String] = [:]
    private var pipeOfIdentity: [String: PipeID] = [:]

    func handle(_ event: PipeEvent, _ pipe: PipeID) {
        lock.lock()
        defer { lock.unlock() }
        switch event {
        case .added:
            live.insert(pipe)
        case .removed:
            live.remove(pipe)
            if let id = identityOfPipe.removeValue(forKey: pipe), pipeOfIdentity[id] == pipe {
                pipeOfIdentity.removeValue(forKey: id)
            }
        }
    }

    var livePipes: Set<PipeID> {
        lock.lock()
        defer { lock.unlock() }
        return live
    }

    var boundIdentities: [String] {
        lock.lock()
        defer { lock.unlock() }
        return pipeOfIdentity.keys.sorted()
    }

    func identity(of pipe: PipeID) -> String? {
        lock.lock()
        defer { lock.unlock() }
        return identityOfPipe[pipe]
    }

    /// Binds `pipe` to the verified `identity`; a pipe keeps its first identity, and an identity lives on one pipe.
    func bind(_ pipe: PipeID, to identity: String) -> Rejection? {
        lock.lock()
        defer { lock.unlock() }
        if let bound = identityOfPipe[pipe], bound != identity {
            return .pipeBoundToOtherIdentity(pipe: pipe, bound: bound, claimed: identity)
        }
        if let other = pipeOfIdentity[identity], other != pipe, live.contains(other) {
            return .identityOnOtherPipe(client: identity, pipe: other)
        }
        identityOfPipe[pipe] = identity
        pipeOfIdentity[identity] = pipe
        return nil
    }
}
