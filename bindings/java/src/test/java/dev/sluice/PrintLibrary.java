package dev.sluice;

/** Run by LoaderTest in a fresh JVM: loads the library as configured and prints what it got. */
public final class PrintLibrary {
  private PrintLibrary() {}

  public static void main(String[] args) {
    try {
      System.out.println("origin=" + Sluice.libraryOrigin());
      System.out.println("version=" + Sluice.version());
      System.out.println("abi=" + Sluice.abiVersion());
    } catch (UnsatisfiedLinkError e) {
      System.out.println("error=" + e.getMessage());
      // a second call repeats the failure instead of crashing or half-working
      try {
        Sluice.version();
      } catch (UnsatisfiedLinkError again) {
        System.out.println("again=" + again.getMessage());
      }
    }
  }
}
