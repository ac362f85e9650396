namespace EegDann.Model.Tests;

public sealed class PseudoLabelsTests
{
    [Fact]
    public void EachPredictedClassKeepsItsMoreConfidentHalfSoARarelyPredictedClassIsNotLost()
    {
        // Six samples predicted class 0 (p0 = 0.9, 0.8, 0.7, 0.6, 0.95, 0.55), two predicted class 1 (p1 = 0.6, 0.9).
        float[] p0 = [0.9f, 0.8f, 0.7f, 0.6f, 0.4f, 0.95f, 0.1f, 0.55f];
        var probabilities = p0.SelectMany(p => new[] { p, 1 - p }).ToArray();

        var (rows, labels) = PseudoLabels.ConfidentHalfPerClass(probabilities, 2);

        Assert.Equal([0, 1, 5, 6], rows);
        Assert.Equal([0, 0, 0, 1], labels);
    }

    [Fact]
    public void AnOddCountKeepsTheMiddleSampleAndBadShapesAreRefused()
    {
        float[] probabilities = [0.9f, 0.1f, 0.8f, 0.2f, 0.7f, 0.3f];
        Assert.Equal([0, 1], PseudoLabels.ConfidentHalfPerClass(probabilities, 2).Rows);
        Assert.Throws<ArgumentException>(() => PseudoLabels.ConfidentHalfPerClass(new float[5], 2));
        Assert.Throws<ArgumentOutOfRangeException>(() => PseudoLabels.ConfidentHalfPerClass(new float[4], 1));
    }
}
