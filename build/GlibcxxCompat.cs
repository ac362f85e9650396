// The MSBuild step that lets TorchSharp's native shim load on Debian 12, and the ELF code behind
// it. Compiled by RoslynCodeTaskFactory from build/EegDann.Native.targets; the test project links
// this file with EEGDANN_ELF_TESTS defined, which leaves out the MSBuild task class.
//
// Why: TorchSharp 0.107.0's libLibTorchSharp.so was linked against GCC 13's libstdc++ and so
// declares a need for the version GLIBCXX_3.4.32. Debian 12's libstdc++ stops at GLIBCXX_3.4.30,
// and the dynamic loader refuses the library before anything runs. The only symbol bound to
// 3.4.32 is std::ios_base_library_init(), which the shim references but never calls (GCC 13
// emits the reference for <iostream> initialisation that older libstdc++ does in its own
// constructor). Rewriting that one version-need entry (.gnu.version_r: vna_name and vna_hash) to
// GLIBCXX_3.4.30 makes the loader accept the file; lazy binding never resolves the dead symbol.
#nullable enable
using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;
using System.Text;

namespace EegDann.Build
{
    /// <summary>One entry of an ELF file's version-needs table (.gnu.version_r).</summary>
    public sealed class ElfVersionNeed
    {
        public ElfVersionNeed(string file, string name, uint hash, long auxOffset)
        {
            File = file;
            Name = name;
            Hash = hash;
            AuxOffset = auxOffset;
        }

        /// <summary>The needed shared object, e.g. <c>libstdc++.so.6</c>.</summary>
        public string File { get; }

        /// <summary>The version name, e.g. <c>GLIBCXX_3.4.32</c>.</summary>
        public string Name { get; }

        /// <summary>The entry's stored ELF hash of <see cref="Name"/>.</summary>
        public uint Hash { get; }

        /// <summary>File offset of the Elf64_Vernaux entry.</summary>
        public long AuxOffset { get; }
    }

    /// <summary>The result of <see cref="ElfVersionNeeds.Rename"/>.</summary>
    public enum ElfRenameOutcome
    {
        /// <summary>No entry had the old name: nothing to do (also the case after a patch).</summary>
        NotPresent,

        /// <summary>The entry now names the new version.</summary>
        Renamed,
    }

    /// <summary>
    /// Reads and rewrites the version-needs and version-definitions tables of a 64-bit
    /// little-endian ELF image (System V gABI, "Symbol Versioning" of the LSB).
    /// </summary>
    public static class ElfVersionNeeds
    {
        private const uint ShtGnuVerdef = 0x6ffffffd;
        private const uint ShtGnuVerneed = 0x6ffffffe;

        /// <summary>The System V ELF hash of a symbol or version name.</summary>
        public static uint ElfHash(string name)
        {
            uint h = 0;
            foreach (byte c in Encoding.ASCII.GetBytes(name))
            {
                h = (h << 4) + c;
                uint g = h & 0xf0000000;
                if (g != 0)
                {
                    h ^= g >> 24;
                }

                h &= ~g;
            }

            return h;
        }

        /// <summary>Every version need in the image, in table order.</summary>
        public static List<ElfVersionNeed> ReadNeeds(byte[] elf)
        {
            var result = new List<ElfVersionNeed>();
            var section = FindSection(elf, ShtGnuVerneed);
            if (section == null)
            {
                return result;
            }

            var (offset, size, link, count) = section.Value;
            var strtab = SectionBounds(elf, link);
            long entry = offset;
            for (uint i = 0; i < count; i++)
            {
                Require(entry + 16 <= offset + size, "version-need entry runs past its section");
                ushort auxCount = U16(elf, entry + 2);
                string file = CString(elf, strtab, U32(elf, entry + 4));
                long aux = entry + U32(elf, entry + 8);
                for (int j = 0; j < auxCount; j++)
                {
                    Require(aux + 16 <= offset + size, "version-need aux entry runs past its section");
                    uint hash = U32(elf, aux);
                    string name = CString(elf, strtab, U32(elf, aux + 8));
                    result.Add(new ElfVersionNeed(file, name, hash, aux));
                    uint nextAux = U32(elf, aux + 12);
                    if (nextAux == 0)
                    {
                        break;
                    }

                    aux += nextAux;
                }

                uint next = U32(elf, entry + 12);
                if (next == 0)
                {
                    break;
                }

                entry += next;
            }

            return result;
        }

        /// <summary>Every version the image defines (.gnu.version_d), e.g. a libstdc++'s GLIBCXX_*.</summary>
        public static List<string> ReadDefinitions(byte[] elf)
        {
            var result = new List<string>();
            var section = FindSection(elf, ShtGnuVerdef);
            if (section == null)
            {
                return result;
            }

            var (offset, size, link, count) = section.Value;
            var strtab = SectionBounds(elf, link);
            long entry = offset;
            for (uint i = 0; i < count; i++)
            {
                Require(entry + 20 <= offset + size, "version-definition entry runs past its section");
                long aux = entry + U32(elf, entry + 12);
                Require(aux + 8 <= offset + size, "version-definition aux entry runs past its section");
                result.Add(CString(elf, strtab, U32(elf, aux)));
                uint next = U32(elf, entry + 16);
                if (next == 0)
                {
                    break;
                }

                entry += next;
            }

            return result;
        }

        /// <summary>
        /// Makes the version need <paramref name="from"/> (of any needed file) read
        /// <paramref name="to"/>: its name points at an existing string <paramref name="to"/> in the
        /// string table when there is one, else the old string is overwritten in place (same
        /// length only), and its hash is recomputed. Returns whether anything changed.
        /// </summary>
        public static ElfRenameOutcome Rename(byte[] elf, string from, string to)
        {
            var section = FindSection(elf, ShtGnuVerneed);
            if (section == null)
            {
                return ElfRenameOutcome.NotPresent;
            }

            var strtab = SectionBounds(elf, section.Value.Link);
            bool renamed = false;
            foreach (var need in ReadNeeds(elf))
            {
                if (need.Name != from)
                {
                    continue;
                }

                long existing = FindString(elf, strtab, to);
                if (existing >= 0)
                {
                    WriteU32(elf, need.AuxOffset + 8, (uint)existing);
                }
                else
                {
                    Require(Encoding.ASCII.GetByteCount(from) == Encoding.ASCII.GetByteCount(to),
                        $"cannot rename {from} to {to} in place: the names differ in length and {to} is not in the string table");
                    long at = strtab.Start + U32(elf, need.AuxOffset + 8);
                    Encoding.ASCII.GetBytes(to).CopyTo(elf, at);
                }

                WriteU32(elf, need.AuxOffset, ElfHash(to));
                renamed = true;
            }

            return renamed ? ElfRenameOutcome.Renamed : ElfRenameOutcome.NotPresent;
        }

        private static (long Offset, long Size, uint Link, uint Info)? FindSection(byte[] elf, uint type)
        {
            CheckHeader(elf);
            long shoff = (long)U64(elf, 0x28);
            ushort shentsize = U16(elf, 0x3A);
            ushort shnum = U16(elf, 0x3C);
            Require(shoff > 0 && shentsize >= 64, "the file has no section header table");
            Require(shoff + (long)shentsize * shnum <= elf.Length, "the section header table runs past the end of the file");
            for (int i = 0; i < shnum; i++)
            {
                long sh = shoff + (long)i * shentsize;
                if (U32(elf, sh + 4) != type)
                {
                    continue;
                }

                long offset = (long)U64(elf, sh + 0x18);
                long size = (long)U64(elf, sh + 0x20);
                Require(offset >= 0 && offset + size <= elf.Length, "a version section runs past the end of the file");
                return (offset, size, U32(elf, sh + 0x28), U32(elf, sh + 0x2C));
            }

            return null;
        }

        private static (long Start, long End) SectionBounds(byte[] elf, uint index)
        {
            long shoff = (long)U64(elf, 0x28);
            ushort shentsize = U16(elf, 0x3A);
            ushort shnum = U16(elf, 0x3C);
            Require(index < shnum, "a version section links to a string table that does not exist");
            long sh = shoff + (long)index * shentsize;
            long offset = (long)U64(elf, sh + 0x18);
            long size = (long)U64(elf, sh + 0x20);
            Require(offset + size <= elf.Length, "the string table runs past the end of the file");
            return (offset, offset + size);
        }

        private static void CheckHeader(byte[] elf)
        {
            Require(elf.Length >= 64 && elf[0] == 0x7F && elf[1] == (byte)'E' && elf[2] == (byte)'L' && elf[3] == (byte)'F',
                "not an ELF file");
            Require(elf[4] == 2, "not a 64-bit ELF file");
            Require(elf[5] == 1, "not a little-endian ELF file");
        }

        private static string CString(byte[] elf, (long Start, long End) strtab, uint offset)
        {
            long start = strtab.Start + offset;
            Require(start < strtab.End, "a name points outside the string table");
            long end = start;
            while (end < strtab.End && elf[end] != 0)
            {
                end++;
            }

            return Encoding.ASCII.GetString(elf, (int)start, (int)(end - start));
        }

        private static long FindString(byte[] elf, (long Start, long End) strtab, string value)
        {
            byte[] needle = Encoding.ASCII.GetBytes(value);
            // Strings start at the table's first byte or after a NUL; a match must end with a NUL.
            for (long i = strtab.Start; i + needle.Length < strtab.End; i++)
            {
                if (i != strtab.Start && elf[i - 1] != 0)
                {
                    continue;
                }

                bool match = elf[i + needle.Length] == 0;
                for (int k = 0; match && k < needle.Length; k++)
                {
                    match = elf[i + k] == needle[k];
                }

                if (match)
                {
                    return i - strtab.Start;
                }
            }

            return -1;
        }

        private static ushort U16(byte[] b, long at) => (ushort)(b[at] | (b[at + 1] << 8));

        private static uint U32(byte[] b, long at) => (uint)(b[at] | (b[at + 1] << 8) | (b[at + 2] << 16) | (b[at + 3] << 24));

        private static ulong U64(byte[] b, long at) => U32(b, at) | ((ulong)U32(b, at + 4) << 32);

        private static void WriteU32(byte[] b, long at, uint value)
        {
            b[at] = (byte)value;
            b[at + 1] = (byte)(value >> 8);
            b[at + 2] = (byte)(value >> 16);
            b[at + 3] = (byte)(value >> 24);
        }

        private static void Require(bool condition, string problem)
        {
            if (!condition)
            {
                throw new InvalidDataException(problem);
            }
        }
    }

    /// <summary>Finds the libstdc++ the dynamic loader would use and what versions it defines.</summary>
    public static class SystemLibStdCxx
    {
        private static readonly string[] WellKnownPaths =
        {
            "/usr/lib/x86_64-linux-gnu/libstdc++.so.6",
            "/lib/x86_64-linux-gnu/libstdc++.so.6",
            "/usr/lib64/libstdc++.so.6",
            "/lib64/libstdc++.so.6",
            "/usr/lib/libstdc++.so.6",
        };

        /// <summary>The path of the 64-bit libstdc++.so.6 in the loader cache, else a well-known path, else null.</summary>
        public static string? Locate()
        {
            foreach (string ldconfig in new[] { "/sbin/ldconfig", "/usr/sbin/ldconfig" })
            {
                if (!File.Exists(ldconfig))
                {
                    continue;
                }

                try
                {
                    var start = new ProcessStartInfo(ldconfig, "-p")
                    {
                        RedirectStandardOutput = true,
                        RedirectStandardError = true,
                        UseShellExecute = false,
                    };
                    using var process = Process.Start(start);
                    if (process == null)
                    {
                        continue;
                    }

                    string output = process.StandardOutput.ReadToEnd();
                    process.WaitForExit();
                    foreach (string line in output.Split('\n'))
                    {
                        // "	libstdc++.so.6 (libc6,x86-64) => /lib/x86_64-linux-gnu/libstdc++.so.6"
                        string trimmed = line.Trim();
                        int arrow = trimmed.IndexOf("=>", StringComparison.Ordinal);
                        if (trimmed.StartsWith("libstdc++.so.6 ", StringComparison.Ordinal) && trimmed.Contains("x86-64") && arrow > 0)
                        {
                            string path = trimmed.Substring(arrow + 2).Trim();
                            if (File.Exists(path))
                            {
                                return path;
                            }
                        }
                    }
                }
                catch (Exception)
                {
                    // Fall through to the well-known paths.
                }
            }

            foreach (string path in WellKnownPaths)
            {
                if (File.Exists(path))
                {
                    return path;
                }
            }

            return null;
        }
    }

#if !EEGDANN_ELF_TESTS
    /// <summary>
    /// MSBuild task: in each given libLibTorchSharp.so, renames the version need GLIBCXX_3.4.32 to
    /// GLIBCXX_3.4.30 when the system libstdc++ does not define GLIBCXX_3.4.32. The file is
    /// replaced atomically (write beside, then rename), which also detaches it from any hard link
    /// into the NuGet cache.
    /// </summary>
    public sealed class PatchGlibcxxVersionNeed : Microsoft.Build.Utilities.Task
    {
        /// <summary>The shared objects to patch (copies in build or publish output).</summary>
        [Microsoft.Build.Framework.Required]
        public Microsoft.Build.Framework.ITaskItem[] Files { get; set; } = Array.Empty<Microsoft.Build.Framework.ITaskItem>();

        /// <summary>The version the shim needs but the system may lack.</summary>
        public string From { get; set; } = "GLIBCXX_3.4.32";

        /// <summary>The version to need instead.</summary>
        public string To { get; set; } = "GLIBCXX_3.4.30";

        public override bool Execute()
        {
            if (Files.Length == 0)
            {
                return true;
            }

            string? libstdcxx = SystemLibStdCxx.Locate();
            if (libstdcxx == null)
            {
                Log.LogWarning("EegDann: no system libstdc++.so.6 found; {0} left as shipped (TorchSharp may not load).", Files[0].ItemSpec);
                return true;
            }

            List<string> defined;
            try
            {
                defined = ElfVersionNeeds.ReadDefinitions(File.ReadAllBytes(libstdcxx));
            }
            catch (Exception e) when (e is IOException || e is InvalidDataException || e is UnauthorizedAccessException)
            {
                Log.LogWarning("EegDann: cannot read the version definitions of {0}: {1}; libLibTorchSharp.so left as shipped.", libstdcxx, e.Message);
                return true;
            }

            if (defined.Contains(From))
            {
                Log.LogMessage(Microsoft.Build.Framework.MessageImportance.Low,
                    "EegDann: {0} defines {1}; libLibTorchSharp.so needs no patch.", libstdcxx, From);
                return true;
            }

            if (!defined.Contains(To))
            {
                Log.LogWarning("EegDann: {0} defines neither {1} nor {2}; libLibTorchSharp.so left as shipped.", libstdcxx, From, To);
                return true;
            }

            foreach (var item in Files)
            {
                string path = item.GetMetadata("FullPath");
                try
                {
                    byte[] image = File.ReadAllBytes(path);
                    if (ElfVersionNeeds.Rename(image, From, To) == ElfRenameOutcome.NotPresent)
                    {
                        Log.LogMessage(Microsoft.Build.Framework.MessageImportance.Low, "EegDann: {0} does not need {1}.", path, From);
                        continue;
                    }

                    // Copy first so the new file keeps the original's permissions, then swap it in with
                    // rename(2): atomic, and a hard link into the NuGet cache is left untouched.
                    string temporary = path + ".eegdann-patch.tmp";
                    File.Copy(path, temporary, true);
                    using (var stream = new FileStream(temporary, FileMode.Truncate, FileAccess.Write))
                    {
                        stream.Write(image, 0, image.Length);
                    }

                    File.Replace(temporary, path, null);
                    Log.LogMessage(Microsoft.Build.Framework.MessageImportance.High,
                        "EegDann: {0}: version need {1} -> {2} ({3} lacks {1}).", path, From, To, libstdcxx);
                }
                catch (Exception e) when (e is IOException || e is InvalidDataException || e is UnauthorizedAccessException)
                {
                    Log.LogError("EegDann: cannot patch {0}: {1}", path, e.Message);
                }
            }

            return !Log.HasLoggedErrors;
        }
    }
#endif
}
