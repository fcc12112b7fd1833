import ArgumentParser
import Learning

@main
struct FedAttr: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "fedattr",
        abstract: "Federated learning over nng with mutual TLS, and per-round contribution attribution.",
        subcommands: [UpCommand.self, CoordinatorCommand.self, ClientCommand.self, SimulateCommand.self, ExperimentCommand.self, GeneratorCommand.self, PKICommand.self,
                      VerifyCommand.self, ReportCommand.self, WatchCommand.self, SettingsCommand.self, Bench.self]
    )

    static func main() async {
        OpenBLASKernel.selectBeforeUse()
        await main(nil)
    }
}
