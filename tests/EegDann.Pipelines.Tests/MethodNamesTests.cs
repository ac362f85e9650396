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
    public void WithinIsASuffixOfTheClassicMethodsOnly()
    {
        foreach (string name in new[] { "ea_csp_lda_8_30_within", "csp_lda_8_30_within", "ea_csp_lda_within", "csp_lda_within", "ea_ts_lr_within", "ea_csp_lda_8_30_within_ba" })
        {
            var method = CalibrationMethod.Parse(name);
            Assert.Equal(name, method.Name);
            Assert.True(method.WithinSubject);
            Assert.True(method.IsClassic);
            Assert.Contains("the target's labeled epochs alone", method.Description, StringComparison.Ordinal);
        }

        Assert.True(CalibrationMethod.Parse("ea_csp_lda_8_30_within_ba").BiasAdapted);
        Assert.False(CalibrationMethod.Parse("ea_csp_lda_8_30").WithinSubject);
        Assert.Contains("the labeled source", CalibrationMethod.Parse("ea_csp_lda_8_30").Description, StringComparison.Ordinal);
        Assert.Contains(CalibrationMethod.WithinSuffix, CalibrationMethod.Grammar, StringComparison.Ordinal);
        foreach (string bad in new[] { "ea_dann_within", "ea_dann_x5_within", "ts_lr_within", "_within", "ea_csp_lda_within_x2" })
        {
            Assert.Throws<MethodNameException>(() => CalibrationMethod.Parse(bad));
        }

        Assert.Contains("for the classic methods", Assert.Throws<MethodNameException>(() => CalibrationMethod.Parse("ea_dann_within")).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void APipelineTrainsExactlyTheNetworkBaseNames() =>
        Assert.Equal(CalibrationMethod.BaseNames.Except(CalibrationMethod.ClassicBaseNames), PipelineDefinitionLoader.Methods);
}
