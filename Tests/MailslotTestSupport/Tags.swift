import Testing

extension Tag {
    /// A test whose work crosses threads (an engine thread, async reads and streams, writer
    /// threads): the ThreadSanitizer run (`scripts/sanitize.sh`) selects the tests by this tag.
    @Tag public static var crossesThreads: Self
}
