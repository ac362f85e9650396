using System.Runtime.CompilerServices;
using EegDann.Model;

namespace EegDann.Tests;

/// <summary>
/// libtorch runs on one intra-op thread in this test host, as the product runs it (`--threads` 1 by
/// default, `Daemon:Decoder:TorchThreads` 1): the tests then train and decode what ships, and the
/// values they pin do not depend on how many cores the machine has (libtorch's default is one
/// thread per core, which splits its reductions differently). One file, compiled into the test projects that
/// train or decode networks (Model, Pipelines, Daemon; tests/Directory.Build.props).
/// </summary>
internal static class OneTorchThread
{
#pragma warning disable CA2255 // A test assembly's start-up, before any test runs: the intended use.
    [ModuleInitializer]
    internal static void Set() => TorchRuntime.UseThreads(1);
#pragma warning restore CA2255
}
