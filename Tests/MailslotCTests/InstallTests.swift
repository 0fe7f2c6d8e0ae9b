import Glibc
import MailslotTestSupport
import Testing

extension CLibraryTests {
    /// `scripts/install.sh` and the installed headers, as a C programmer meets them.
    @Suite("Installing the C library", .timeLimit(.minutes(2)))
    struct InstallTests {
        @Test("install puts the library, headers, compat folder, .pc files and man page in place; --uninstall removes every file")
        func installAndUninstall() async throws {
            let prefix = "/tmp/mailslot-install-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
            defer { _ = try? ChildProcess("/bin/rm", ["-rf", prefix]).waitForExit() }
            let script = CLibrary.packageRoot + "/scripts/install.sh"
            let install = try await CLibrary.shell("\(script) --prebuilt --prefix '\(prefix)'")
            #expect(install.code == 0, "\(install.stderr)")
            let files = try await CLibrary.shell("cd '\(prefix)' && find . -type f -o -type l | sort").stdout.split(separator: "\n").map(String.init)
            for expected in [
                "./lib/libmailslot.so", "./lib/libmailslot.so.0", "./lib/libmailslot.a", "./include/mailslot/mailslot.h",
                "./include/mailslot/win32.h", "./include/mailslot/compat/windows.h", "./include/mailslot/compat/strsafe.h",
                "./lib/pkgconfig/mailslot.pc", "./lib/pkgconfig/mailslot-win32.pc", "./share/man/man3/mailslot.3",
            ] {
                #expect(files.contains(expected), "\(expected) missing from \(files)")
            }
            let manual = try await CLibrary.shell("MANWIDTH=80 man -l '\(prefix)/share/man/man3/mailslot.3' 2>&1 | head -5")
            #expect(manual.stdout.contains("msl_slot_create"), "\(manual.stdout)")
            let uninstall = try await CLibrary.shell("\(script) --uninstall --prefix '\(prefix)'")
            #expect(uninstall.code == 0, "\(uninstall.stderr)")
            let left = try await CLibrary.shell("find '\(prefix)' -type f -o -type l").stdout
            #expect(left.isEmpty, "left behind: \(left)")
        }

        @Test("the headers: mailslot.h builds as pedantic C99 and as C++; UNICODE is refused with a message that says why")
        func headers() async throws {
            let include = "-I\(CLibrary.prefix)/include"
            let c = try await CLibrary.shell("echo '#include <mailslot/mailslot.h>\nint main(void){return msl_version()==0;}' | cc -std=c99 -pedantic -Wall -Wextra -Werror \(include) -x c -fsyntax-only -")
            #expect(c.code == 0, "\(c.stderr)")
            let cxx = try await CLibrary.shell("echo '#include <mailslot/mailslot.h>\n#include <mailslot/win32.h>\nint main(){return GetLastError();}' | g++ -Wall -Werror \(include) -x c++ -fsyntax-only - 2>&1 || echo no-g++")
            #expect(cxx.code == 0 && (cxx.stdout.isEmpty || cxx.stdout.contains("no-g++") && !cxx.stdout.contains("error")), "\(cxx.stdout)")
            let unicode = try await CLibrary.shell("echo '#include <windows.h>' | cc -DUNICODE -I\(CLibrary.prefix)/include/mailslot/compat \(include) -x c -fsyntax-only - 2>&1")
            #expect(unicode.code != 0)
            #expect(unicode.stdout.contains("ANSI (UTF-8) only"), "\(unicode.stdout)")
        }
    }
}
