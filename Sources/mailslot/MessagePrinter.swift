import MailslotEngine
import MailslotSupport

/// Formats one message as one output line.
enum MessagePrinter {
    static func line(for message: [UInt8], format: MessageFormat, name: String, origin: MessageOrigin? = nil) -> String {
        switch format {
        case .text: escaped(message)
        case .hex: hex(message)
        case .json:
            "{\"mailslot\":\(jsonString(name)),\"size\":\(message.count),\"text\":\(jsonString(String(decoding: message, as: UTF8.self))),\"hex\":\"\(hex(message))\""
                + (origin.map { ",\"from\":" + json($0) } ?? "") + "}"
        }
    }

    /// A remote message's sender: `{"address":"10.0.0.1:138","name":"HOST<00>","to":"DOMAIN<00>","kind":"group"}`.
    static func json(_ origin: MessageOrigin) -> String {
        "{\"address\":\(jsonString(origin.address)),\"name\":\(jsonString(origin.sourceName)),\"to\":\(jsonString(origin.destinationName)),\"kind\":\(jsonString(origin.kind))}"
    }

    static func hex(_ bytes: [UInt8]) -> String {
        let digits = Array("0123456789abcdef".utf8)
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count * 2)
        for byte in bytes {
            out.append(digits[Int(byte >> 4)])
            out.append(digits[Int(byte & 0xF)])
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// UTF-8 text with `\n`, `\r`, `\t`, `\\` and other control bytes escaped, so one message
    /// is always one line.
    static func escaped(_ bytes: [UInt8]) -> String {
        var out = ""
        for scalar in String(decoding: bytes, as: UTF8.self).unicodeScalars {
            switch scalar {
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case "\\": out += "\\\\"
            default:
                if scalar.value < 0x20 || scalar.value == 0x7F {
                    out += "\\x" + hex([UInt8(scalar.value)])
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        return out
    }

    /// A JSON string literal (the package's one escaper).
    static func jsonString(_ text: String) -> String { JSONText.quoted(text) }
}
