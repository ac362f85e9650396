namespace EegDann.Reports.Tests;

public sealed class HtmlReportTests
{
    private static readonly byte[] Png = [0x89, 0x50, 0x4E, 0x47, 1, 2, 3];

    [Fact]
    public void LinkedImagesAreEmbeddedAsDataUris()
    {
        string html = HtmlReport.Render(null, "# R\n\n![methods](methods.png)\n", name => name == "methods.png" ? Png : null);

        Assert.Contains($"<img alt=\"methods\" src=\"data:image/png;base64,{Convert.ToBase64String(Png)}\">", html);
        Assert.DoesNotContain("methods.png", html);
    }

    [Fact]
    public void AnImageWithoutBytesIsNamedAsMissingRatherThanLinked()
    {
        string html = HtmlReport.Render(null, "![curves](training.png)", _ => null);

        Assert.Contains("[image curves: training.png not found]", html);
        Assert.DoesNotContain("<img", html);
    }

    [Fact]
    public void TablesKeepEveryRowAndTheirAlignment()
    {
        const string markdown = """
            | method | accuracy |
            |---|---:|
            | **a** (model) | 0.667 |
            | b | 0.5 |
            | added_later | 0.9 |
            """;

        string html = HtmlReport.Render("t", markdown, _ => null);

        Assert.Contains("<th>method</th><th class=\"r\">accuracy</th>", html);
        Assert.Contains("<td><strong>a</strong> (model)</td><td class=\"r\">0.667</td>", html);
        Assert.Contains("<td>added_later</td><td class=\"r\">0.9</td>", html);
    }

    [Fact]
    public void TextIsEscapedAndCodeSpansStayLiteral()
    {
        string html = HtmlReport.Render("t", "a <script>x</script> & `**not bold** <b>`", _ => null);

        Assert.Contains("a &lt;script&gt;x&lt;/script&gt; &amp; <code>**not bold** &lt;b&gt;</code>", html);
        Assert.DoesNotContain("<script>", html);
    }

    [Fact]
    public void HeadingsListsAndQuotesBecomeTheirElements()
    {
        string html = HtmlReport.Render(null, "# Calibration of S002\n\nMethods:\n- `a`: one.\n- `b`: two.\n\n> **quoted** text\n\n## Later section\n", _ => null);

        Assert.Contains("<title>Calibration of S002</title>", html);
        Assert.Contains("<h1>Calibration of S002</h1>", html);
        Assert.Contains("<ul>\n<li><code>a</code>: one.</li>\n<li><code>b</code>: two.</li>\n</ul>", html);
        Assert.Contains("<blockquote>\n<p><strong>quoted</strong> text</p>\n</blockquote>", html);
        Assert.Contains("<h2>Later section</h2>", html);
    }

    [Fact]
    public void ThePageFetchesNothing()
    {
        string html = HtmlReport.Render(null, "# R\n\n![m](m.png)\n\n[link](https://example.org)", _ => Png);

        // The only URL is the link the Markdown wrote; no script, stylesheet or image is loaded from elsewhere.
        Assert.DoesNotContain("<script", html);
        Assert.DoesNotContain("<link", html);
        Assert.DoesNotContain("src=\"http", html);
    }
}
