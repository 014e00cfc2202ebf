// The reversal measurement docs/conformance.md cites: a brute force of the machine hash Candor once sent (HMAC-SHA256 of
// the MAC under a key any copy of the tool could compute) over the 2^24 addresses of one vendor prefix, on one core.
// Run with: dotnet run bench/MacHashReversal/MacHashReversal.cs
using System.Diagnostics;
using System.Security.Cryptography;
using System.Text;

var key = SHA256.HashData(Encoding.UTF8.GetBytes("candor/product-key/v1\0mlb\0"));
var target = new byte[32];
var message = new byte[15 + 6];
Encoding.ASCII.GetBytes("candor/machine\0").CopyTo(message, 0);
message[15] = 0x00; message[16] = 0x1a; message[17] = 0x2b;
message[18] = 0xab; message[19] = 0xcd; message[20] = 0xef;
HMACSHA256.HashData(key, message, target);
var digest = new byte[32];
var watch = Stopwatch.StartNew();
long found = -1;
for (var i = 0; i < 1 << 24; i++)
{
    message[18] = (byte)(i >> 16); message[19] = (byte)(i >> 8); message[20] = (byte)i;
    HMACSHA256.HashData(key, message, digest);
    if (digest.AsSpan(0, 16).SequenceEqual(target.AsSpan(0, 16))) { found = i; }
}
Console.WriteLine($"2^24 candidates in {watch.Elapsed.TotalSeconds:0.0} s on one core, found 0x{found:x6}");
