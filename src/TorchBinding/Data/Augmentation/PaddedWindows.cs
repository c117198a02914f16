using TorchSharp;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace TorchBinding.Data.Augmentation;

/// <summary>
/// Translation and padded cropping are the same operation: pad the batch, then cut an H×W window out of
/// each padded image at that image's own offset. Both cuts are batched <c>gather</c>s along the rows and
/// then the columns, with per-sample index tensors.
/// </summary>
static class PaddedWindows
{
    /// <summary>
    /// Pads by <paramref name="padY"/> rows and <paramref name="padX"/> columns on each side, then takes the
    /// H×W window whose top-left corner, in the padded image, is (<paramref name="top"/>[i], <paramref name="left"/>[i]).
    /// </summary>
    public static Tensor Cut(Tensor batch, int padY, int padX, int[] top, int[] left, PaddingModes mode)
    {
        var (n, c, h, w) = (batch.shape[0], batch.shape[1], batch.shape[2], batch.shape[3]);
        var padded = padY == 0 && padX == 0 ? batch : F.pad(batch, [padX, padX, padY, padY], mode == PaddingModes.Zeros ? PaddingModes.Constant : mode);
        var device = batch.device;
        var rows = tensor(top, dtype: int64, device: device).view(n, 1) + arange(h, dtype: int64, device: device);
        var columns = tensor(left, dtype: int64, device: device).view(n, 1) + arange(w, dtype: int64, device: device);
        var byRows = padded.gather(2, rows.view(n, 1, h, 1).expand(n, c, h, padded.shape[3]));
        return byRows.gather(3, columns.view(n, 1, 1, w).expand(n, c, h, w));
    }
}
