using System.Globalization;
using EegDann.Daemon.Acquisition;
using EegDann.Daemon.LiveConsole;
using EegDann.Daemon.Monitoring;
using EegDann.TestSupport;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using OpenQA.Selenium;
using OpenQA.Selenium.Chrome;

namespace EegDann.Daemon.Tests.LiveConsole;

/// <summary>
/// A test that needs Debian's <c>chromium</c> and <c>chromium-driver</c>; without them it is
/// reported as skipped with the reason (never as passed). <c>.ci/run</c> installs both.
/// </summary>
public sealed class BrowserFactAttribute : FactAttribute
{
    public BrowserFactAttribute()
    {
        if (Browser.Missing() is { } missing)
        {
            Skip = missing;
        }
    }
}

/// <summary>Where the browser and its driver are (Debian's paths, or EEGDANN_CHROMIUM / EEGDANN_CHROMEDRIVER).</summary>
internal static class Browser
{
    public static string Chromium => Environment.GetEnvironmentVariable("EEGDANN_CHROMIUM") ?? "/usr/bin/chromium";

    public static string Driver => Environment.GetEnvironmentVariable("EEGDANN_CHROMEDRIVER") ?? "/usr/bin/chromedriver";

    public static string? Missing()
    {
        var missing = new[] { Chromium, Driver }.Where(p => !File.Exists(p)).ToArray();
        return missing.Length == 0 ? null : $"no browser to test the console in: {string.Join(" and ", missing)} not found (apt-get install chromium chromium-driver, as .ci/run does)";
    }

    public static ChromeDriver Start()
    {
        var service = ChromeDriverService.CreateDefaultService(Path.GetDirectoryName(Driver)!, Path.GetFileName(Driver));
        service.SuppressInitialDiagnosticInformation = true;
        service.HideCommandPromptWindow = true;
        var options = new ChromeOptions { BinaryLocation = Chromium };
        // Root in CI: no sandbox; no GPU; /dev/shm may be small in containers.
        options.AddArguments("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--window-size=1500,1200", "--force-device-scale-factor=1", "--no-first-run", "--disable-extensions");
        return new ChromeDriver(service, options, TimeSpan.FromSeconds(60));
    }
}

public sealed class ConsoleBrowserTests
{
    /// <summary>Where screenshots go: EEGDANN_SCREENSHOTS, else the test's output folder.</summary>
    private static string ScreenshotFolder => Environment.GetEnvironmentVariable("EEGDANN_SCREENSHOTS") ?? Path.Combine(AppContext.BaseDirectory, "screenshots");

    [BrowserFact]
    public async Task TheLivePageShowsProbabilitiesCommandsAndANaNBurstAsNoneWithItsReasonAndTheChannelAsNonFinite()
    {
        string model = await CalibratedModel.PathAsync();
        var replay = new BurstingReplay(TestModels.RecordingPath("S002", "R04"), speed: 1.0);
        var settings = DaemonRunner.Replay(TestModels.RecordingPath("S002", "R04"), model);
        settings["Daemon:Metrics:Prometheus"] = "127.0.0.1:0";
        settings["Daemon:Replay:StopAtEnd"] = "false";
        settings["Daemon:Console:AllowControl"] = "true";
        var seenCommands = new HashSet<string>(StringComparer.Ordinal);
        var seenLast = new HashSet<string>(StringComparer.Ordinal);
        var seenCanvas = new HashSet<string>(StringComparer.Ordinal);
        string reasonText = "", c3State = "", commandAtBurst = "", nanScreenshot = "", liveScreenshot = "";
        bool calibrateButton = false;
        long windowsBefore = 0;

        using var run = await DaemonRunner.RunAsync(settings, services => services.AddSingleton<ISampleSourceFactory>(replay), whileRunning: async host =>
        {
            var endpoint = host.Services.GetRequiredService<MetricsHttpService>().Endpoint!;
            var metrics = host.Services.GetRequiredService<DaemonMetrics>();
            using var driver = Browser.Start();
            driver.Navigate().GoToUrl($"http://{endpoint}/");
            var js = (IJavaScriptExecutor)driver;
            string Attr(string id, string name) => driver.FindElement(By.Id(id)).GetAttribute(name) ?? string.Empty;
            int Updates() => int.Parse(Attr("prob-chart", "data-updates"), CultureInfo.InvariantCulture);
            await Until(() => Updates() > 3, "the page receives frames");

            // The replay at real time: the probabilities move and the commands change (polled until
            // both have been seen to change, for at least 10 s; the limit only ends a broken test).
            var start = DateTime.UtcNow;
            while (DateTime.UtcNow - start < TimeSpan.FromSeconds(10) || seenLast.Count < 4 || seenCanvas.Count < 4 || seenCommands.Count < 2)
            {
                Assert.True(DateTime.UtcNow - start < TimeSpan.FromSeconds(90), $"in 90 s the chart's last time took {seenLast.Count} values, its drawing {seenCanvas.Count}, the command {string.Join("/", seenCommands)}");
                seenCommands.Add(driver.FindElement(By.Id("command")).Text);
                seenLast.Add(Attr("prob-chart", "data-last"));
                seenCanvas.Add((string)js.ExecuteScript("return document.querySelector('#prob-chart canvas').toDataURL();")!);
                await Task.Delay(250);
            }

            calibrateButton = driver.FindElement(By.Id("calibrate")).Displayed;
            liveScreenshot = Save(driver, "console.png");

            // One second of NaN on C3 (a lead off, as an amplifier reports it).
            windowsBefore = metrics.Windows;
            replay.Burst("C3", 160);
            // One script reads the four values from one state of the page: read one by one, a frame
            // arriving in between (under load the stream can turn stale right after the burst) mixed two states.
            await Until(() =>
            {
                var read = (IReadOnlyList<object>)js.ExecuteScript(
                    "const r = document.getElementById('reason'), c = document.getElementById('channel-C3');" +
                    "return [r.getAttribute('data-reason') || '', r.innerText, document.getElementById('command').innerText, c ? c.getAttribute('data-state') || '' : ''];")!;
                (string reason, reasonText, commandAtBurst, c3State) = ((string)read[0], (string)read[1], (string)read[2], (string)read[3]);
                return reason == "non_finite" && c3State == "non_finite";
            }, "none with reason non_finite and C3 non-finite");
            nanScreenshot = Save(driver, "console-nan.png");
            host.Services.GetRequiredService<IHostApplicationLifetime>().StopApplication();
        });

        run.AssertExit(DaemonExitCode.Success);
        Assert.True(seenLast.Count >= 4, $"the probability chart's last time took {seenLast.Count} values");
        Assert.True(seenCanvas.Count >= 4, $"the probability chart was drawn {seenCanvas.Count} different ways");
        Assert.True(seenCommands.Count >= 2, "the command text never changed: " + string.Join(", ", seenCommands));
        Assert.True(calibrateButton, "the calibrate button is shown when control is allowed");
        Assert.Equal("none", commandAtBurst);
        Assert.Contains("non finite", reasonText, StringComparison.Ordinal);
        Assert.Equal("non_finite", c3State);
        // The page may show the burst before all of its samples have streamed.
        Assert.InRange(replay.BurstSamples, 1, 160);
        Assert.True(new FileInfo(liveScreenshot).Length > 10_000);
        Assert.True(new FileInfo(nanScreenshot).Length > 10_000);
    }

    [BrowserFact]
    public async Task TheReadOnlyPageHasNoCalibrateButton()
    {
        var settings = DaemonRunner.Replay(TestModels.RecordingPath("S002", "R04"), TestModels.S001ToS002);
        settings["Daemon:Metrics:Prometheus"] = "127.0.0.1:0";
        settings["Daemon:Replay:StopAtEnd"] = "false";
        bool button = true, readOnly = false;
        using var run = await DaemonRunner.RunAsync(settings, whileRunning: async host =>
        {
            var endpoint = host.Services.GetRequiredService<MetricsHttpService>().Endpoint!;
            using var driver = Browser.Start();
            driver.Navigate().GoToUrl($"http://{endpoint}/");
            await Until(() => (driver.FindElement(By.Id("prob-chart")).GetAttribute("data-updates") ?? "0") != "0", "the page receives frames");
            button = driver.FindElement(By.Id("calibrate")).Displayed;
            readOnly = driver.FindElement(By.Id("read-only")).Displayed;
            host.Services.GetRequiredService<IHostApplicationLifetime>().StopApplication();
        });

        run.AssertExit(DaemonExitCode.Success);
        Assert.False(button);
        Assert.True(readOnly);
    }

    private static string Save(ChromeDriver driver, string name)
    {
        Directory.CreateDirectory(ScreenshotFolder);
        string path = Path.Combine(ScreenshotFolder, name);
        driver.GetScreenshot().SaveAsFile(path);
        return path;
    }

    /// <summary>Polls the page; the limit only ends a broken test.</summary>
    private static async Task Until(Func<bool> condition, string what)
    {
        var limit = DateTime.UtcNow.AddSeconds(60);
        while (true)
        {
            try
            {
                if (condition())
                {
                    return;
                }
            }
            catch (Exception e) when (e is NoSuchElementException or StaleElementReferenceException or FormatException)
            {
                // The page is still being built.
            }

            if (DateTime.UtcNow > limit)
            {
                throw new TimeoutException($"the page never showed: {what}");
            }

            await Task.Delay(100);
        }
    }
}
