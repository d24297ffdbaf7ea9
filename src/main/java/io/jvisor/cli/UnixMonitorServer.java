package io.jvisor.cli;

import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.Channels;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.CountDownLatch;

/**
 * -monitor unix:PATH,server[,nowait]: the monitor on a Unix-domain socket, one session per
 * client (for example {@code socat - UNIX-CONNECT:PATH}). Without nowait the VM starts only
 * once the first client has connected, as QEMU's server option does. The socket file is
 * removed when jvisor ends.
 */
final class UnixMonitorServer implements AutoCloseable {
    private final Path path;
    private final ServerSocketChannel server;
    private final CountDownLatch firstClient = new CountDownLatch(1);

    UnixMonitorServer(Path path, Monitor monitor) {
        this.path = path;
        try {
            if (Files.exists(path) && !Files.isRegularFile(path) && !Files.isDirectory(path)) {
                Files.delete(path);   // a stale socket of an earlier run
            }
            server = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
            server.bind(UnixDomainSocketAddress.of(path));
        } catch (IOException e) {
            throw new BadInput("-monitor unix:" + path + ": cannot listen there ("
                    + io.jvisor.vm.IoErrors.reason(e) + ")");
        }
        Thread.ofPlatform().daemon().name("jvisor-monitor-accept").start(() -> {
            int n = 0;
            while (server.isOpen()) {
                try {
                    SocketChannel c = server.accept();
                    firstClient.countDown();
                    MonitorSession.start(monitor, Channels.newInputStream(c), Channels.newOutputStream(c),
                            "jvisor-monitor-" + (++n));
                } catch (IOException e) {
                    return;   // closed
                }
            }
        });
    }

    /** Waits for the first client (QEMU's server without nowait). */
    void awaitClient() {
        try {
            firstClient.await();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @Override
    public void close() {
        try {
            server.close();
            Files.deleteIfExists(path);
        } catch (IOException ignored) {
            // nothing more to clean up
        }
    }
}
