using EegDann.Daemon.Decoding;

namespace EegDann.Daemon.Tests;

/// <summary>The decision policy with a four-class model (feet, fists, left, right): every class can become the command.</summary>
public sealed class DecisionPolicyTests
{
    private static readonly string[] Classes = ["feet", "fists", "left", "right"];

    private static float[] Favouring(int k)
    {
        var p = new float[] { 0.1f, 0.1f, 0.1f, 0.1f };
        p[k] = 0.7f;
        return p;
    }

    [Fact]
    public void EachOfFourClassesBecomesTheCommandAfterItsDwellAndAFailSafeGivesNone()
    {
        var policy = new DecisionPolicy(Classes.Length, alpha: 1.0, threshold: 0.6, dwellWindows: 3);
        foreach (int k in new[] { 3, 0, 1, 2 })
        {
            Assert.NotEqual(k, policy.Update(Favouring(k)));
            Assert.NotEqual(k, policy.Update(Favouring(k)));
            Assert.Equal(Classes[k], Classes[policy.Update(Favouring(k))]);
        }

        policy.Reset();
        Assert.Equal(DecisionPolicy.None, policy.Command);
        Assert.Equal(DecisionPolicy.None, policy.Update([0.25f, 0.25f, 0.25f, 0.25f]));
        Assert.Throws<ArgumentException>(() => policy.Update([0.5f, 0.5f]));
    }
}
