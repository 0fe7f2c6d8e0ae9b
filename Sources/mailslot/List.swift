import ArgumentParser
import MailslotEngine

/// `mailslot list`: the local mailslots that exist now.
struct List: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "List the local mailslots that exist now, with name, owning pid and max size.")

    @Flag(help: "Print JSON, one object per mailslot.")
    var json = false

    func run() {
        let listings = LocalMailslots.list()
        if json {
            for listing in listings {
                let pids = listing.ownerPIDs.map(String.init).joined(separator: ",")
                print("{\"name\":\(MessagePrinter.jsonString(listing.name)),\"pids\":[\(pids)],\"max_size\":\(listing.maxMessageSize)}")
            }
            return
        }
        print("PID\tMAX-SIZE\tNAME")
        for listing in listings {
            let pids = listing.ownerPIDs.isEmpty ? "-" : listing.ownerPIDs.map(String.init).joined(separator: ",")
            print("\(pids)\t\(listing.maxMessageSize)\t\(listing.name)")
        }
    }
}
