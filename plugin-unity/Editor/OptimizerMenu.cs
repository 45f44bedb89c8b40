// Tools/Optimize menu item and the batch-mode entry point for CI:
//   Unity -batchmode -projectPath . -executeMethod Ote.OptimizerMenu.RunBatch -quit
// Both start a Puerts JsEnv running Scripts/optimize-scene.ts, which runs `ote optimize` out of process.
using Puerts;
using UnityEditor;
using UnityEngine;

namespace Ote
{
    public static class OptimizerMenu
    {
        static JsEnv env;

        [MenuItem("Tools/Optimize Scene")]
        public static void Optimize()
        {
            env ??= new JsEnv();
            env.ExecuteModule("ote/optimize-scene.mjs");
            // Puerts needs ticking for timers and promises; the editor update loop drives it without blocking.
            EditorApplication.update -= Tick;
            EditorApplication.update += Tick;
        }

        public static void RunBatch()
        {
            var js = new JsEnv();
            js.ExecuteModule("ote/optimize-scene.mjs");
            // Until the script has read the process to its end and shown the verdict (OptimizerRun.End), which it
            // also does when it fails before starting ote: the exit code is the run's.
            while (!OptimizerRun.Done) { js.Tick(); System.Threading.Thread.Sleep(50); }
            EditorApplication.Exit(OptimizerRun.ExitCode);
        }

        static void Tick() { env?.Tick(); }
    }

    /// <summary>The `ote` child process with its JSON-lines output, polled by the script.</summary>
    public static class OptimizerProcess
    {
        static System.Diagnostics.Process proc;
        static readonly System.Collections.Concurrent.ConcurrentQueue<string> lines = new();
        /// <summary>The process has exited and its output has all been queued (WaitForExit() flushes the async readers).</summary>
        public static bool Finished
        {
            get
            {
                if (proc == null || !proc.HasExited) return false;
                proc.WaitForExit();
                return true;
            }
        }
        public static int ExitCode => proc != null && proc.HasExited ? proc.ExitCode : -1;

        public static bool Start(string node, string oteScript, string args)
        {
            var info = new System.Diagnostics.ProcessStartInfo(node, $"\"{oteScript}\" {args}")
            { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true, CreateNoWindow = true };
            proc = System.Diagnostics.Process.Start(info);
            if (proc == null) return false;
            proc.OutputDataReceived += (_, e) => { if (e.Data != null) lines.Enqueue(e.Data); };
            proc.ErrorDataReceived += (_, e) => { if (e.Data != null) lines.Enqueue(e.Data); };
            proc.BeginOutputReadLine();
            proc.BeginErrorReadLine();
            return true;
        }

        public static string Poll() => lines.TryDequeue(out var l) ? l : null;
        public static void Cancel() { if (proc != null && !proc.HasExited) proc.Kill(); }
        /// <summary>A file's bytes as a JS ArrayBuffer, or null when there is no such file.</summary>
        public static ArrayBuffer LoadBytes(string path) =>
            System.IO.File.Exists(path) ? new ArrayBuffer(System.IO.File.ReadAllBytes(path)) : null;

        public static void SaveBytes(string path, byte[] bytes)
        {
            var tmp = path + ".tmp";
            System.IO.Directory.CreateDirectory(System.IO.Path.GetDirectoryName(path));
            System.IO.File.WriteAllBytes(tmp, bytes);
            if (System.IO.File.Exists(path)) System.IO.File.Delete(path);
            System.IO.File.Move(tmp, path);
        }
    }
}
