using EegDann.Core;

namespace EegDann.Dsp.Resampling;

/// <summary>
/// Resamples a whole channel with <see cref="PolyphaseResampler"/> (zero before the first and after
/// the last sample), which equals SciPy's <c>resample_poly</c> with its default Kaiser design.
/// </summary>
public sealed class WholeSignalResampler : IWholeSignalResampler
{
    private const int Block = 4096;

    /// <inheritdoc />
    public string Method => "polyphase FIR (SciPy resample_poly design: Kaiser β = 5, 20·max(L, M) + 1 taps)";

    /// <inheritdoc />
    public float[] Resample(float[] samples, double inputRateHz, double outputRateHz)
    {
        ArgumentNullException.ThrowIfNull(samples);
        var design = ResamplerDesign.For(inputRateHz, outputRateHz);
        var resampler = new PolyphaseResampler(design, channelCount: 1, maxInputBlock: Block);
        var result = new float[design.OutputLength(samples.Length)];
        var input = new double[Block];
        var output = new double[resampler.MaxOutputBlock];
        int written = 0;
        void Keep(int count)
        {
            for (int i = 0; i < count; i++)
            {
                result[written + i] = (float)output[i];
            }

            written += count;
        }

        for (int start = 0; start < samples.Length; start += Block)
        {
            int count = Math.Min(Block, samples.Length - start);
            for (int i = 0; i < count; i++)
            {
                input[i] = samples[start + i];
            }

            Keep(resampler.Process(input, count, output));
        }

        Keep(resampler.Complete(output));
        return result;
    }
}
