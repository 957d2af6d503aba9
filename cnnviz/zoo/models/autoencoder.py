"""Convolutional autoencoder for 28x28 images (MNIST-size).

Background: G. E. Hinton, R. R. Salakhutdinov, "Reducing the Dimensionality of Data with Neural
Networks", Science 313, 2006 (https://www.science.org/doi/10.1126/science.1127647), and J. Masci,
U. Meier, D. Ciresan, J. Schmidhuber, "Stacked Convolutional Auto-Encoders for Hierarchical Feature
Extraction", ICANN 2011.

Departures from the papers: neither specifies this network. It is the common teaching version:
strided convolutions down to a 1x1 latent code, transposed convolutions mirroring them back up, and a
sigmoid so outputs are pixel intensities in [0, 1]. Hinton & Salakhutdinov used fully connected layers
pre-trained as RBMs; Masci et al. used max-pooling and tied weights.
"""

from torch import Tensor, nn

__all__ = ["ConvAutoencoder", "conv_autoencoder"]


class ConvAutoencoder(nn.Module):
    def __init__(self, in_channels: int = 1, latent_channels: int = 16) -> None:
        super().__init__()
        self.encoder = nn.Sequential(
            nn.Conv2d(in_channels, 32, 3, stride=2, padding=1),  # N x 32 x 14 x 14
            nn.ReLU(inplace=True),
            nn.Conv2d(32, 64, 3, stride=2, padding=1),  # N x 64 x 7 x 7
            nn.ReLU(inplace=True),
            nn.Conv2d(64, latent_channels, 7),  # N x latent x 1 x 1: the code
        )
        self.decoder = nn.Sequential(
            nn.ConvTranspose2d(latent_channels, 64, 7),  # N x 64 x 7 x 7
            nn.ReLU(inplace=True),
            # output_padding=1 resolves the ambiguity of a stride-2 transpose: 7 -> 14, not 13.
            nn.ConvTranspose2d(64, 32, 3, stride=2, padding=1, output_padding=1),  # N x 32 x 14 x 14
            nn.ReLU(inplace=True),
            nn.ConvTranspose2d(32, in_channels, 3, stride=2, padding=1, output_padding=1),  # N x C x 28 x 28
            nn.Sigmoid(),
        )

    def forward(self, x: Tensor) -> Tensor:
        # N x C x 28 x 28
        return self.decoder(self.encoder(x))


def conv_autoencoder(in_channels: int = 1, latent_channels: int = 16) -> ConvAutoencoder:
    """Convolutional autoencoder for 28x28 input with a latent_channels x 1 x 1 code."""
    return ConvAutoencoder(in_channels=in_channels, latent_channels=latent_channels).eval()
