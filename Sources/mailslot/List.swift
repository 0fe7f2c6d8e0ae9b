import ArgumentParser
import MailslotEngine

/// `mailslot list`: the local mailslots that exist now.
struct List: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "List the local mailslots that exist now, with name, owning pid and uid, max size and who may write.")

    @Flag(help: "Print JSON, one object per mailslot.")
    var json = false

    func run() {
        let listings = LocalMailslots.list()
        if json {
            for listing in listings {
                let pids = listing.ownerPIDs.map(String.init).joined(separator: ",")
                let owner = listing.ownerUID.map(String.init) ?? "null"
                print(
                    "{\"name\":\(MessagePrinter.jsonString(listing.name)),\"pids\":[\(pids)],\"max_size\":\(listing.maxMessageSize),"
                        + "\"owner_uid\":\(owner),\"writers\":\(MessagePrinter.jsonString(listing.writers.description))}")
            }
            return
        }
        print("PID\tUID\tMAX-SIZE\tWRITERS\tNAME")
        for listing in listings {
            let pids = listing.ownerPIDs.isEmpty ? "-" : listing.ownerPIDs.map(String.init).joined(separator: ",")
            let owner = listing.ownerUID.map(String.init) ?? "-"
            print("\(pids)\t\(owner)\t\(listing.maxMessageSize)\t\(listing.writers)\t\(listing.name)")
        }
    }
}
