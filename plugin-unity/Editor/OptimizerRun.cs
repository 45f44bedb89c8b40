// The Optimize run in the editor, as ts-core/src/adapters/run-watch.ts reads it from the ote process
// (plugin-unity/Scripts/optimize-scene.ts calls these). Begin puts a background task in Unity's Progress window
// (the editor stays usable) whose cancel button stops the process; Report moves it stage by stage; End finishes it
// as succeeded or failed, logs the verdict with the reason and the report's path, shows it in the Scene view, and,
// when a person pressed the button, offers to open report.html. In batch mode (-executeMethod) it only logs, and
// OptimizerMenu.RunBatch exits with End's code.
using UnityEditor;
using UnityEngine;

namespace Ote
{
    public static class OptimizerRun
    {
        static int progressId = -1;

        /// <summary>Whether End was called since Begin (a failure before ote started calls End too).</summary>
        public static bool Done { get; private set; }
        public static int ExitCode { get; private set; } = -1;

        public static void Begin()
        {
            Done = false;
            ExitCode = -1;
            if (Application.isBatchMode) return;
            progressId = Progress.Start("Optimize", "ote optimize", Progress.Options.None);
            Progress.RegisterCancelCallback(progressId, () => { OptimizerProcess.Cancel(); return true; });
        }

        public static void Report(float fraction, string text)
        {
            if (progressId >= 0) Progress.Report(progressId, fraction, text);
            else Debug.Log($"Optimizer: {text}");
        }

        public static void End(bool ok, int exitCode, string title, string text, string report, string certificate)
        {
            var line = $"Optimizer: {title}" + (string.IsNullOrEmpty(text) ? "" : $": {text}")
                + (string.IsNullOrEmpty(report) ? "" : $"\nReport: {report}")
                + (string.IsNullOrEmpty(certificate) ? "" : $"\nCertificate: {certificate}") + $"\n(exit {exitCode})";
            if (ok) Debug.Log(line); else Debug.LogError(line);
            if (progressId >= 0)
            {
                Progress.Finish(progressId, ok ? Progress.Status.Succeeded : exitCode == 130 ? Progress.Status.Canceled : Progress.Status.Failed);
                progressId = -1;
            }
            ExitCode = exitCode;
            Done = true;
            if (Application.isBatchMode) return;
            SceneView.lastActiveSceneView?.ShowNotification(new GUIContent($"Optimizer: {title}"), 5.0);
            if (!string.IsNullOrEmpty(report) && System.IO.File.Exists(report)
                && EditorUtility.DisplayDialog("Optimizer", string.IsNullOrEmpty(text) ? title : $"{title}\n\n{text}", "Open report", "Close"))
                Application.OpenURL(new System.Uri(report).AbsoluteUri);
        }
    }
}
