using EegDann.Pipelines.Calibration;
using EegDann.Pipelines.Definitions;

namespace EegDann.Pipelines.Tests;

/// <summary>The method base names live in one list, which parsing, error messages and pipeline files read.</summary>
public sealed class MethodNamesTests
{
    [Fact]
    public void EveryBaseNameIsAMethodPlainAlignedAndNamedInTheGrammar()
    {
        foreach (string name in CalibrationMethod.BaseNames)
        {
            Assert.Equal(name, CalibrationMethod.Parse(name).Name);
            Assert.Equal("ea_" + name, CalibrationMethod.Parse("ea_" + name).Name);
            Assert.Contains(name, CalibrationMethod.Grammar, StringComparison.Ordinal);
        }

        Assert.Equal(10, CalibrationMethod.BaseNames.Count);
    }

    [Fact]
    public void AnUnknownMethodIsRefusedWithEveryBaseName()
    {
        var error = Assert.Throws<MethodNameException>(() => CalibrationMethod.Parse("telepathy"));

        Assert.All(CalibrationMethod.BaseNames, name => Assert.Contains(name, error.Message, StringComparison.Ordinal));
        Assert.Contains("ea_ts_lr", error.Message, StringComparison.Ordinal);
        // The message reaches the user as it is (exit 2): no "(Parameter 'name')" tail.
        Assert.All(new[] { "telepathy", "ea_csp_lda_x3", "ts_lr", "ea_dann_x99", "ea_dann_semi_refit", "", " " }, bad =>
            Assert.DoesNotContain("(Parameter", Assert.Throws<MethodNameException>(() => CalibrationMethod.Parse(bad)).Message, StringComparison.Ordinal));
    }

    [Fact]
    public void APipelineTrainsExactlyTheNetworkBaseNames() =>
        Assert.Equal(CalibrationMethod.BaseNames.Except(CalibrationMethod.ClassicBaseNames), PipelineDefinitionLoader.Methods);
}
