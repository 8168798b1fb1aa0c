// Starts a real, throw-away Neo4j (community edition, via org.neo4j.test:neo4j-harness)
// for the test-suite and CI. Normally run through scripts/neo4j-test-server, which
// resolves the jars and passes the JVM flags; it can also be run by hand:
//
//   java --add-opens=java.base/java.nio=ALL-UNNAMED --add-opens=java.base/java.io=ALL-UNNAMED \
//        --add-opens=java.base/sun.nio.ch=ALL-UNNAMED -cp "lib/*" Launcher.java [options]
//
// Protocol (stdout carries nothing else; all logging goes to stderr):
//   http://127.0.0.1:PORT   printed first, only when the HTTP connector is enabled
//   bolt://127.0.0.1:PORT   printed last, only once Bolt has answered a handshake;
//                           this line means "ready"
// Then it runs until SIGTERM/SIGINT, or until its stdin reaches end-of-file when
// --watch-stdin is given, and shuts Neo4j down cleanly and deletes its data directory.
// Exit status: 0 after a stop via stdin EOF, 128+signal after a signal, 1 if Neo4j fails
// to start, 2 on a usage error.

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.neo4j.configuration.Config;
import org.neo4j.configuration.GraphDatabaseInternalSettings;
import org.neo4j.configuration.GraphDatabaseSettings;
import org.neo4j.configuration.SettingImpl;
import org.neo4j.configuration.connectors.BoltConnector;
import org.neo4j.configuration.connectors.HttpConnector;
import org.neo4j.configuration.connectors.HttpsConnector;
import org.neo4j.configuration.helpers.SocketAddress;
import org.neo4j.graphdb.config.Setting;
import org.neo4j.harness.Neo4j;
import org.neo4j.harness.Neo4jBuilder;
import org.neo4j.harness.Neo4jBuilders;
import org.neo4j.io.ByteUnit;

public final class Launcher {
    private static final String USAGE = String.join("\n",
            "usage: Launcher [options]",
            "  --host ADDR          listen address for Bolt and HTTP (default 127.0.0.1)",
            "  --bolt-port N        Bolt port, 0 = a free one (default 0)",
            "  --http-port N        HTTP port, 0 = a free one (default 0)",
            "  --no-http            no HTTP connector (no http:// line is printed)",
            "  --pagecache-mb N     page cache size in MiB (default 128)",
            "  --config KEY=VALUE   any Neo4j setting, e.g. db.transaction.timeout=30s (repeatable)",
            "  --log-dir DIR        copy Neo4j's log files into DIR when the server stops",
            "  --watch-stdin        stop when stdin reaches end-of-file (dies with its parent)",
            "  --ready-timeout S    seconds to wait for Bolt to answer after start (default 120)",
            "  -h, --help           this text");

    private static final Object LOCK = new Object();
    private static Neo4j neo4j;
    private static Path workDir;
    private static Path logDir;
    private static boolean stopping;

    private Launcher() {
    }

    public static void main(String[] args) {
        // Keep stdout for the protocol lines only: anything else that prints to System.out
        // (Neo4j, libraries) is sent to stderr.
        PrintStream protocol = new PrintStream(System.out, true, StandardCharsets.UTF_8);
        System.setOut(System.err);

        String host = "127.0.0.1";
        int boltPort = 0;
        int httpPort = 0;
        boolean http = true;
        long pagecacheMb = 128;
        boolean watchStdin = false;
        long readyTimeoutSeconds = 120;
        List<String> rawConfig = new ArrayList<>();
        try {
            for (int i = 0; i < args.length; i++) {
                String a = args[i];
                switch (a) {
                    case "-h":
                    case "--help":
                        protocol.println(USAGE);
                        return;
                    case "--host":
                        host = value(args, ++i);
                        break;
                    case "--bolt-port":
                        boltPort = Integer.parseInt(value(args, ++i));
                        break;
                    case "--http-port":
                        httpPort = Integer.parseInt(value(args, ++i));
                        break;
                    case "--no-http":
                        http = false;
                        break;
                    case "--pagecache-mb":
                        pagecacheMb = Long.parseLong(value(args, ++i));
                        break;
                    case "--config":
                        rawConfig.add(value(args, ++i));
                        break;
                    case "--log-dir":
                        logDir = Paths.get(value(args, ++i)).toAbsolutePath();
                        break;
                    case "--watch-stdin":
                        watchStdin = true;
                        break;
                    case "--ready-timeout":
                        readyTimeoutSeconds = Long.parseLong(value(args, ++i));
                        break;
                    default:
                        throw new IllegalArgumentException("unknown option: " + a);
                }
            }
        } catch (IllegalArgumentException e) { // NumberFormatException too
            System.err.println("neo4j-harness: " + e.getMessage() + "\n" + USAGE);
            System.exit(2);
            return;
        }

        Runtime.getRuntime().addShutdownHook(new Thread(Launcher::shutdown, "neo4j-harness-shutdown"));

        long t0 = System.nanoTime();
        // Advertised addresses must carry the real ports (the HTTP discovery document and
        // Neo4j Browser use them; neo4j:// routing tables too), so free ports are picked
        // here rather than letting Neo4j bind port 0; a lost race is retried.
        String publicHost = publicHost(host);
        int boltBound;
        String httpLine = null;
        try {
            synchronized (LOCK) {
                if (stopping) {
                    return;
                }
                workDir = Files.createTempDirectory("identity-graph-neo4j-");
            }
            System.err.println("neo4j-harness: starting Neo4j in " + workDir);
            int attempts = (boltPort == 0 || (http && httpPort == 0)) ? 3 : 1;
            Neo4j started = null;
            for (int attempt = 1; started == null; attempt++) {
                int b = boltPort != 0 ? boltPort : freePort(host);
                int h = !http ? 0 : httpPort != 0 ? httpPort : freePort(host);
                Neo4jBuilder builder = Neo4jBuilders.newInProcessBuilder(workDir)
                        .withConfig(BoltConnector.enabled, true)
                        .withConfig(BoltConnector.listen_address, new SocketAddress(host, b))
                        .withConfig(BoltConnector.advertised_address, new SocketAddress(publicHost, b))
                        .withConfig(HttpsConnector.enabled, false)
                        // no "anonymous usage data" calls home from tests
                        .withConfig(GraphDatabaseSettings.udc_enabled, false)
                        // Bolt's netty waits a 5 s "quiet period" on close by default
                        .withConfig(GraphDatabaseInternalSettings.netty_server_shutdown_quiet_period, 0)
                        .withConfig(GraphDatabaseInternalSettings.netty_server_shutdown_timeout,
                                Duration.ofSeconds(5))
                        .withConfig(GraphDatabaseSettings.pagecache_memory,
                                ByteUnit.mebiBytes(pagecacheMb));
                if (http) {
                    builder.withConfig(HttpConnector.enabled, true)
                            .withConfig(HttpConnector.listen_address, new SocketAddress(host, h))
                            .withConfig(HttpConnector.advertised_address, new SocketAddress(publicHost, h));
                } else {
                    builder.withDisabledServer();
                }
                applyRawConfig(builder, rawConfig);
                try {
                    started = builder.build();
                } catch (RuntimeException e) {
                    if (attempt >= attempts || !isBindFailure(e)) {
                        throw e;
                    }
                    System.err.println("neo4j-harness: port taken meanwhile, retrying: " + e);
                }
            }
            synchronized (LOCK) {
                neo4j = started;
                if (stopping) {
                    return; // the shutdown hook closes it
                }
            }
            boltBound = started.boltURI().getPort();
            if (http) {
                httpLine = "http://" + uriHost(publicHost) + ":" + started.httpURI().getPort();
            }
            waitForBolt(publicHost, boltBound, readyTimeoutSeconds * 1000L);
        } catch (Throwable e) {
            System.err.println("neo4j-harness: ERROR: Neo4j failed to start: " + e);
            e.printStackTrace(System.err);
            printLogTails();
            System.exit(1);
            return;
        }

        System.err.printf("neo4j-harness: Neo4j %s ready in %.1f s%n",
                neo4jVersion(), (System.nanoTime() - t0) / 1e9);
        if (httpLine != null) {
            protocol.println(httpLine);
        }
        protocol.println("bolt://" + uriHost(publicHost) + ":" + boltBound);
        protocol.flush();

        if (watchStdin) {
            try {
                InputStream in = System.in;
                byte[] buf = new byte[256];
                while (in.read(buf) != -1) {
                    // discard; only end-of-file matters
                }
            } catch (IOException e) {
                // treat like end-of-file
            }
            System.err.println("neo4j-harness: stdin closed, stopping");
            System.exit(0);
        }
        // Otherwise wait for a signal; the shutdown hook does the work.
        while (true) {
            try {
                Thread.sleep(Long.MAX_VALUE);
            } catch (InterruptedException e) {
                // keep waiting
            }
        }
    }

    private static String value(String[] args, int i) {
        if (i >= args.length) {
            throw new IllegalArgumentException(args[i - 1] + " needs a value");
        }
        return args[i];
    }

    /** Where clients connect: the listen address, or loopback for a wildcard one. */
    private static String publicHost(String host) {
        if (host.equals("0.0.0.0")) {
            return "127.0.0.1";
        }
        if (host.equals("::") || host.equals("[::]")) {
            return "::1";
        }
        return host;
    }

    private static int freePort(String host) throws IOException {
        try (ServerSocket s = new ServerSocket()) {
            s.setReuseAddress(false);
            s.bind(new InetSocketAddress(host, 0));
            return s.getLocalPort();
        }
    }

    private static boolean isBindFailure(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            String m = String.valueOf(t.getMessage());
            if (t instanceof java.net.BindException
                    || t.getClass().getSimpleName().equals("PortBindException")
                    || m.contains("Address already in use")) {
                return true;
            }
            if (t.getCause() == t) {
                break;
            }
        }
        return false;
    }

    private static String uriHost(String host) {
        return host.contains(":") && !host.startsWith("[") ? "[" + host + "]" : host;
    }

    @SuppressWarnings({"unchecked", "rawtypes"})
    private static void applyRawConfig(Neo4jBuilder builder, List<String> rawConfig) {
        if (rawConfig.isEmpty()) {
            return;
        }
        Map<String, Setting<Object>> declared = Config.defaults().getDeclaredSettings();
        for (String kv : rawConfig) {
            int eq = kv.indexOf('=');
            if (eq <= 0) {
                throw new IllegalArgumentException("--config wants KEY=VALUE, got: " + kv);
            }
            String key = kv.substring(0, eq).trim();
            String value = kv.substring(eq + 1).trim();
            Setting<Object> setting = declared.get(key);
            if (setting == null) {
                throw new IllegalArgumentException("unknown Neo4j setting: " + key);
            }
            Object parsed = ((SettingImpl) setting).parse(value);
            builder.withConfig(setting, parsed);
        }
    }

    /** Completes a Bolt handshake so that "ready" means a driver can connect. */
    private static void waitForBolt(String host, int port, long timeoutMillis) throws Exception {
        long deadline = System.currentTimeMillis() + timeoutMillis;
        Exception last = null;
        while (System.currentTimeMillis() < deadline) {
            try (Socket s = new Socket()) {
                s.connect(new InetSocketAddress(host, port), 2000);
                s.setSoTimeout(5000);
                OutputStream out = s.getOutputStream();
                out.write(new byte[] {
                    0x60, 0x60, (byte) 0xB0, 0x17, // magic preamble
                    0, 8, 8, 5, // 5.8 down to 5.0
                    0, 4, 4, 4, // 4.4 down to 4.0
                    0, 0, 0, 0,
                    0, 0, 0, 0,
                });
                out.flush();
                byte[] answer = s.getInputStream().readNBytes(4);
                if (answer.length == 4 && (answer[2] != 0 || answer[3] != 0)) {
                    System.err.printf("neo4j-harness: Bolt %d.%d answered on %s:%d%n",
                            answer[3], answer[2], host, port);
                    return;
                }
                last = new IOException("Bolt handshake refused: " + java.util.Arrays.toString(answer));
            } catch (IOException e) {
                last = e;
            }
            Thread.sleep(200);
        }
        throw new IllegalStateException("Bolt did not answer on " + host + ":" + port, last);
    }

    private static String neo4jVersion() {
        try {
            Package p = Neo4j.class.getPackage();
            String v = p == null ? null : p.getImplementationVersion();
            return v == null ? "(version unknown)" : v;
        } catch (RuntimeException e) {
            return "(version unknown)";
        }
    }

    private static List<Path> logFiles() {
        List<Path> files = new ArrayList<>();
        if (workDir == null || !Files.isDirectory(workDir)) {
            return files;
        }
        try (Stream<Path> s = Files.walk(workDir)) {
            s.filter(p -> p.getFileName().toString().endsWith(".log") && Files.isRegularFile(p))
                    .forEach(files::add);
        } catch (IOException | RuntimeException e) {
            // best effort
        }
        return files;
    }

    private static void printLogTails() {
        for (Path f : logFiles()) {
            try {
                List<String> lines = Files.readAllLines(f, StandardCharsets.UTF_8);
                int from = Math.max(0, lines.size() - 40);
                System.err.println("---------- tail of " + f.getFileName() + " ----------");
                for (String l : lines.subList(from, lines.size())) {
                    System.err.println(l);
                }
            } catch (IOException | RuntimeException e) {
                System.err.println("neo4j-harness: cannot read " + f + ": " + e);
            }
        }
    }

    private static void shutdown() {
        Neo4j toClose;
        synchronized (LOCK) {
            stopping = true;
            toClose = neo4j;
            neo4j = null;
        }
        // Neo4j's close() deletes its own folder, logs included: copy them first.
        if (logDir != null && workDir != null) {
            try {
                Files.createDirectories(logDir);
                for (Path f : logFiles()) {
                    Files.copy(f, logDir.resolve(f.getFileName()), StandardCopyOption.REPLACE_EXISTING);
                }
            } catch (IOException | RuntimeException e) {
                System.err.println("neo4j-harness: cannot copy logs to " + logDir + ": " + e);
            }
        }
        if (toClose != null) {
            System.err.println("neo4j-harness: shutting down Neo4j");
            try {
                toClose.close();
            } catch (Throwable e) {
                System.err.println("neo4j-harness: error while closing Neo4j: " + e);
            }
        }
        if (workDir == null) {
            return;
        }
        deleteTree(workDir);
        deleteLog4jTempConfigs();
    }

    private static void deleteTree(Path root) {
        try (Stream<Path> s = Files.walk(root)) {
            s.sorted(Comparator.reverseOrder()).forEach(p -> {
                try {
                    Files.deleteIfExists(p);
                } catch (IOException e) {
                    // best effort
                }
            });
        } catch (IOException | RuntimeException e) {
            System.err.println("neo4j-harness: cannot delete " + root + ": " + e);
        }
    }

    /**
     * The harness writes a log4j-NNN.xml config into java.io.tmpdir on every start and never
     * deletes it; remove the one(s) that point into our workDir.
     */
    private static void deleteLog4jTempConfigs() {
        Path tmp = Paths.get(System.getProperty("java.io.tmpdir"));
        String marker = workDir.toString();
        try (Stream<Path> s = Files.list(tmp)) {
            s.filter(p -> {
                String n = p.getFileName().toString();
                return n.startsWith("log4j-") && n.endsWith(".xml");
            }).forEach(p -> {
                try {
                    if (Files.size(p) < 65536 && Files.readString(p).contains(marker)) {
                        Files.deleteIfExists(p);
                    }
                } catch (IOException | RuntimeException e) {
                    // not ours, or gone already
                }
            });
        } catch (IOException | RuntimeException e) {
            // best effort
        }
    }
}
