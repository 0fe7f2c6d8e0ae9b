import Glibc
import MailslotTestSupport
import Testing

/// The release as its users meet it: the tarball on a host without Swift, the `.deb` through
/// lintian, dpkg and systemd's own checks, the man pages and the completions in their shells.
/// `dist/` is scripts/package.sh's output (the test command runs it on its release build).
@Suite("The release", .serialized, .timeLimit(.minutes(4)))
struct ReleaseTests {
    @Test("the tarball's mailslot: only glibc shared, under 20 MB; with the toolchain hidden it serves, writes, and relays as nobody from a socket-activated port")
    func tarballRunsWithoutToolchain() async throws {
        let folder = Release.scratchFolder("tar")
        defer { Release.remove(folder) }
        let port = try freeUDPPort()
        let name = "release\(getpid())"
        let run = try await Release.shell(
            """
            tar xzf '\(Release.artifact).tar.gz' -C '\(folder)'
            bin='\(folder)/bin/mailslot'
            ldd "$bin" | awk '{print $1}' | sort > '\(folder)/ldd'
            stat -c %s "$bin" > '\(folder)/size'
            toolchain=$(dirname "$(dirname "$(dirname "$(readlink -f "$(command -v swift)")")")")
            echo '127.0.0.1 RELEASED' > '\(folder)/hosts'
            chmod 0644 '\(folder)/hosts'
            unshare -m sh -ec '
              mount -t tmpfs none "$1"
              test ! -e "$1/usr/bin/swift"
              "$2" --version
              "$2" serve "$3" --count 2 --timeout 20000 > "$4/out" 2> "$4/serve.err" & serve=$!
              for _ in $(seq 200); do grep -q "^ready" "$4/serve.err" && break; sleep 0.05; done
              "$2" write "$3" local
              systemd-socket-activate --datagram -l "127.0.0.1:$5" \\
                setpriv --reuid=65534 --regid=65534 --clear-groups "$2" relay --udp-port "$5" --computer-name RELEASED \\
                2> "$4/relay.err" & relay=$!
              sleep 0.2
              "$2" write "\\\\\\\\RELEASED\\\\mailslot\\\\$3" remote --udp-port "$5" --hosts-file "$4/hosts" --computer-name SENDER
              wait $serve
              kill -TERM $relay
              wait $relay
            ' sh "$toolchain" "$bin" '\(name)' '\(folder)' '\(port)'
            cat '\(folder)/out'
            """)
        #expect(run.code == 0, "\(run.stderr)")
        let version = run.stdout.split(separator: "\n").first.map(String.init) ?? ""
        #expect(version.hasPrefix("\(Release.version) (commit ") && !version.contains("unknown"), "\(version)")
        #expect(run.stdout.hasSuffix("local\nremote\n"), "\(run.stdout) \(readTextFile(folder + "/relay.err") ?? "")")
        let libraries = (readTextFile(folder + "/ldd") ?? "").split(separator: "\n").map(String.init)
        #expect(libraries == ["/lib64/ld-linux-x86-64.so.2", "libc.so.6", "libgcc_s.so.1", "libm.so.6", "linux-vdso.so.1"], "\(libraries)")
        let size = Int((readTextFile(folder + "/size") ?? "").split(separator: "\n").first ?? "") ?? .max
        #expect(size < 20_000_000, "\(size) bytes")
        let relay = readTextFile(folder + "/relay.err") ?? ""
        #expect(relay.contains("datagrams: 1 received, 0 delivered, 1 relayed"), "\(relay)")
    }

    @Test("the .deb: lintian finds 0 errors and only the warnings docs/packaging.md explains; its Depends is computed")
    func debPassesLintian() async throws {
        let lintian = try await Release.shell("lintian '\(Release.artifact).deb' 2>&1 || echo \"exit $?\"", timeout: 240)
        let findings = lintian.stdout.split(separator: "\n").filter { $0.hasPrefix("E:") || $0.hasPrefix("W:") }.map(String.init)
        #expect(!lintian.stdout.contains("exit "), "\(lintian.stdout)")
        #expect(findings.allSatisfy { !$0.hasPrefix("E:") }, "\(findings)")
        let explained = ["package-name-doesnt-match-sonames", "link-to-shared-library-in-wrong-package"]
        let unexplained = findings.filter { finding in !explained.contains { finding.contains($0) } }
        #expect(unexplained.isEmpty, "\(unexplained)")
        let packaging = readTextFile(Release.packageRoot + "/docs/packaging.md") ?? ""
        for tag in explained { #expect(packaging.contains(tag), "docs/packaging.md does not explain \(tag)") }
        let depends = try await Release.shell("dpkg-deb -f '\(Release.artifact).deb' Depends")
        #expect(depends.stdout.contains("libc6 (>= "), "\(depends.stdout)")
    }

    @Test("the .deb unpacks and runs (dpkg-deb -x); dpkg --root installs it in a scratch root and purges it, leaving nothing behind")
    func debInstallsAndRemovesCleanly() async throws {
        let folder = Release.scratchFolder("deb")
        defer { Release.remove(folder) }
        let run = try await Release.shell(
            """
            dpkg-deb -x '\(Release.artifact).deb' '\(folder)/x'
            '\(folder)/x/usr/bin/mailslot' --version
            '\(folder)/x/usr/bin/mailslot' list > /dev/null
            root='\(folder)/root'
            mkdir -p "$root/var/lib/dpkg/info" "$root/var/lib/dpkg/updates"
            touch "$root/var/lib/dpkg/status"
            dpkg --root="$root" --force-depends -i '\(Release.artifact).deb' > /dev/null 2>&1
            test -x "$root/usr/bin/mailslot" && test -f "$root/etc/default/mailslot-relay"
            test -f "$root/lib/systemd/system/mailslot-relay.socket"
            dpkg --root="$root" -l swift-mailslot | grep -q '^ii'
            dpkg --root="$root" -P swift-mailslot > /dev/null 2>&1
            find "$root" -mindepth 1 -not -path "$root/var" -not -path "$root/var/lib" -not -path "$root/var/lib/dpkg*"
            """)
        #expect(run.code == 0, "\(run.stderr)")
        let lines = run.stdout.split(separator: "\n").map(String.init)
        #expect(lines.first?.hasPrefix(Release.version + " (commit ") == true, "\(run.stdout)")
        #expect(lines.count == 1, "left behind after purge: \(lines.dropFirst())")
    }

    @Test("systemd-analyze verify passes on every unit, and fails on a broken one")
    func unitsVerify() async throws {
        let folder = Release.scratchFolder("units")
        defer { Release.remove(folder) }
        let run = try await Release.shell(
            """
            dpkg-deb -x '\(Release.artifact).deb' '\(folder)'
            cd '\(folder)'
            # The system's own units (sysinit.target, …), which the package's name.
            mkdir -p usr/lib/systemd && cp -r /usr/lib/systemd/system usr/lib/systemd/
            export MANPATH='\(folder)/usr/share/man'
            systemd-analyze verify --root='\(folder)' lib/systemd/system/mailslot-relay.socket \\
              lib/systemd/system/mailslot-relay.service lib/systemd/system/mailslot-loadtest-agent.service
            sed 's|^ExecStart=/usr/bin/mailslot|ExecStart=/usr/bin/mailslot-missing|' lib/systemd/system/mailslot-relay.service \\
              > lib/systemd/system/mailslot-broken.service
            if systemd-analyze verify --root='\(folder)' lib/systemd/system/mailslot-broken.service 2>&1; then echo "broken unit passed"; fi
            """)
        #expect(run.code == 0, "\(run.stderr)")
        #expect(!run.stdout.contains("broken unit passed"), "\(run.stdout)")
        #expect(run.stdout.contains("mailslot-missing"), "the broken unit's finding: \(run.stdout)")
    }

    @Test("man -l renders every page without a warning; each completion script loads in bash, zsh and fish and completes 'serve'")
    func manPagesAndCompletions() async throws {
        let folder = Release.scratchFolder("docs")
        defer { Release.remove(folder) }
        let run = try await Release.shell(
            """
            dpkg-deb -x '\(Release.artifact).deb' '\(folder)'
            cd '\(folder)'
            pages=0
            for page in usr/share/man/man1/*.gz usr/share/man/man3/*.gz; do
              warnings=$(MANWIDTH=80 man --warnings=w -l "$page" 2>&1 >/dev/null)
              [ -z "$warnings" ] || { echo "warning in $page: $warnings"; exit 1; }
              MANWIDTH=80 man -l "$page" 2>/dev/null | grep -q . || { echo "empty $page"; exit 1; }
              pages=$((pages + 1))
            done
            echo "pages $pages"
            bash -c 'source usr/share/bash-completion/completions/mailslot
              function=$(complete -p mailslot | sed -n "s/.*-F \\([^ ]*\\).*/\\1/p")
              COMP_WORDS=(mailslot se); COMP_CWORD=1; COMP_LINE="mailslot se"; COMP_POINT=11
              "$function"; echo "bash ${COMPREPLY[*]}"'
            zsh -fc 'fpath=(usr/share/zsh/vendor-completions $fpath); autoload -Uz compinit; compinit -u -d /dev/null
              autoload -Uz _mailslot; whence -w _mailslot; echo "zsh $_comps[mailslot]"'
            fish --no-config -c 'source usr/share/fish/vendor_completions.d/mailslot.fish; echo fish (complete -C"mailslot se" | string join " ")'
            """)
        #expect(run.code == 0, "\(run.stdout) \(run.stderr)")
        #expect(run.stdout.contains("pages 11"), "\(run.stdout)")
        let lines = run.stdout.split(separator: "\n").map(String.init)
        #expect(lines.contains { $0.hasPrefix("bash ") && $0.contains("serve") }, "\(run.stdout)")
        #expect(lines.contains("zsh _mailslot"), "\(run.stdout)")
        #expect(lines.contains { $0.hasPrefix("fish ") && $0.contains("serve") }, "\(run.stdout)")
    }
}
