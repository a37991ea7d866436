package dev.sluice;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import java.util.function.LongFunction;

/**
 * The native connector behind a {@link DataConnector}: freed once, by close() or by the
 * Cleaner. It holds no reference to its DataConnector, so the Cleaner can run.
 *
 * <p>A const connector may be used from several threads at once (sluice.h), so calls share a
 * read lock; freeing takes the write lock and so never races with a call in flight.
 */
final class ConnectorHandle implements Runnable {
  /** Native connectors not yet freed, in this JVM (tests watch it to see the Cleaner work). */
  static final AtomicInteger LIVE = new AtomicInteger();

  private final ReentrantReadWriteLock lock = new ReentrantReadWriteLock();
  private long address;

  ConnectorHandle(long address) {
    this.address = address;
    LIVE.incrementAndGet();
  }

  /** Runs {@code call} with the open connector's address. */
  <T> T use(LongFunction<T> call) {
    lock.readLock().lock();
    try {
      if (address == 0) {
        throw new IllegalStateException("sluice: this DataConnector is closed");
      }
      return call.apply(address);
    } finally {
      lock.readLock().unlock();
    }
  }

  boolean isClosed() {
    lock.readLock().lock();
    try {
      return address == 0;
    } finally {
      lock.readLock().unlock();
    }
  }

  /** Frees the connector (at most once); the Cleaner's action. */
  @Override
  public void run() {
    lock.writeLock().lock();
    try {
      if (address != 0) {
        Native.connectorFree(address);
        address = 0;
        LIVE.decrementAndGet();
      }
    } finally {
      lock.writeLock().unlock();
    }
  }
}
