using System.CommandLine;
using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Multiscale.Cli.Plots;
using Multiscale.Graphs;
using Multiscale.IO;
using Multiscale.Prolongation;
using Multiscale.Runs;

namespace Multiscale.Cli.Commands;

/// <summary><c>multiscale prolong</c>: the optimal map between two graphs, or a sweep over s.</summary>
internal static class ProlongCommand
{
    public static Command Create(TextWriter output, TextWriter error)
    {
        var coarse = new Option<string>("--coarse") { Description = $"Coarse graph G1: {GraphSpec.Grammar} (required, here or in --config)." };
        var fine = new Option<string>("--fine") { Description = "Fine graph G2 (at least as many vertices; required, here or in --config)." };
        var s = new Option<string>("--s") { Description = "Locality weight s in [0, 1], or a comma list for a sweep (adds tradeoff.csv/png).", DefaultValueFactory = _ => "0.5" };
        var outDir = CommonOptions.Out("Output folder (report.json, P.npy, P.json, P.png, convergence.png).");
        outDir.Required = true;
        var format = CommonOptions.MatrixFormat("the map P");
        var solver = new ProlongationCliOptions();
        var config = SettingsInput.ConfigOption("prolong");
        var command = new Command("prolong", "Compute the optimal prolongation map between a coarse and a fine graph (paper 004, eq. 3.3).")
        {
            coarse, fine, s, outDir, format, config,
        };
        foreach (var o in solver.All) command.Options.Add(o);
        command.SetAction(parse => MultiscaleCli.Guard(error, () =>
        {
            var input = SettingsInput.Gather(parse, "prolong", config, new Option[] { outDir, solver.Device }, solver.Fields());
            var settings = input.Read(ProlongSettings.Read);
            using var cancel = CancelOnCtrlC.Create();
            return Run(settings, parse, parse.GetValue(outDir)!.FullName, parse.GetValue(solver.Device)!, output, error, cancel.Token);
        }));
        return command;
    }

    /// <summary>Runs <paramref name="settings"/> into <paramref name="directory"/> (also what <c>rerun</c> calls).</summary>
    public static int Run(ProlongSettings settings, ParseResult parse, string directory, string deviceName,
        TextWriter output, TextWriter error, CancellationToken cancellation)
    {
        OutputCheck.Folder(directory);
        var device = DeviceChoice.Resolve(deviceName);
        var optionsPerS = settings.PerS.Select(o => o with { Device = device }).ToArray();
        string coarseSpec = settings.Coarse, fineSpec = settings.Fine;
        var sValues = settings.S;
        var format = settings.Format;
        var coarse = GraphSpec.Parse(coarseSpec);
        var fine = GraphSpec.Parse(fineSpec);
        if (coarse.VertexCount > fine.VertexCount)
            throw new MultiscaleException($"--coarse '{coarseSpec}' has {coarse.VertexCount} vertices, more than --fine '{fineSpec}' ({fine.VertexCount})");
        ProlongationSizes.EnsureFits(coarse, fine, optionsPerS[0]);
        var progress = new Progress(output);
        progress.Line($"prolong {coarse.Name} ({coarse.VertexCount}) → {fine.Name} ({fine.VertexCount}) on {device}");

        var results = new List<(double S, Dictionary<string, object?> Report, ProlongationSolution Solution)>();
        try
        {
            foreach (var options in optionsPerS)
            {
                progress.Line(options.StopsWhenDone
                    ? $"s = {options.S.ToString(CultureInfo.InvariantCulture)}: cheap starts{(options.AssignmentStart ? " (spectral-frame assignment when the frame is used)," : "")} {options.Init.ToString().ToLowerInvariant()}{(options.InterpolationStart ? ", interpolation where the pair has one" : "")}; stops at a certified or critical point no remaining start begins below"
                    : $"s = {options.S.ToString(CultureInfo.InvariantCulture)}: {options.Init.ToString().ToLowerInvariant()} start + {options.EffectiveRandomStarts} random{(options.AssignmentStart ? " (+ the spectral-frame assignment when the frame is used)" : "")}");
                var solution = ProlongationSolver.Solve(coarse, fine, options, progress.Report, cancellation);
                results.Add((options.S, BuildReport(coarseSpec, fineSpec, coarse, fine, options, solution), solution));
                if (cancellation.IsCancellationRequested) break;
                progress.Line(string.Create(CultureInfo.InvariantCulture,
                    $"  → E = {solution.Terms.Objective:G10} (diffusion {solution.Terms.Diffusion:G6}, locality {solution.Terms.Locality:G6}), α = {solution.Terms.Alpha:G6}, β = {solution.Terms.Beta:G6}, {solution.Iterations} iterations, {solution.Seconds:F2} s, best start {solution.WinningStart} of {solution.Starts.Count} tried ({solution.Skipped.Count} skipped), stopped: {StopText(solution.SolveStop)}, ‖grad‖ = {solution.GradientNorm:G3} (relative {solution.RelativeGradient:G3}; to the winning start's own {solution.RelativeGradientOwnStart:G3}), ‖PᵀP − I‖ = {solution.OrthogonalityError:G2}{(solution.GloballyOptimal ? ", certified global optimum" : "")}"));
            }
            if (cancellation.IsCancellationRequested)
            {
                error.WriteLine("cancelled: nothing was written");
                return 130;
            }

            CommandRecord.Begin(directory);
            CommandRecord.WriteConfig(directory, "prolong", parse, settings.Describe());
            if (results.Count == 1)
            {
                WriteRun(directory, results[0].Report, results[0].Solution, format);
            }
            else
            {
                foreach (var (sv, report, solution) in results)
                    WriteRun(Path.Combine(directory, $"s_{CommandRecord.Format(sv)}"), report, solution, format);
                WriteTradeoff(directory, results.Select(r => (r.S, r.Solution)).ToList());
                WriteJson(Path.Combine(directory, "report.json"), new Dictionary<string, object?>
                {
                    ["coarse"] = coarseSpec,
                    ["fine"] = fineSpec,
                    ["n_coarse"] = coarse.VertexCount,
                    ["n_fine"] = fine.VertexCount,
                    ["sweep"] = results.Select(r => r.Report).ToList(),
                });
            }
            progress.Line($"wrote {directory}");
            return 0;
        }
        catch (OperationCanceledException) when (cancellation.IsCancellationRequested)
        {
            // Cancelled before the first start finished (e.g. while the spectral frame was built): no map exists.
            error.WriteLine("cancelled: nothing was written");
            return 130;
        }
        finally
        {
            foreach (var r in results) r.Solution.Dispose();
        }
    }

    internal static string StopText(SolveStopReason reason) => reason switch
    {
        SolveStopReason.Certified => "certified (attains the proven lower bound)",
        SolveStopReason.CriticalPoint => "critical point no remaining cheap start begins below",
        SolveStopReason.TimeBudget => "time budget",
        SolveStopReason.Cancelled => "cancelled",
        _ => "every start ran",
    };

    internal static string StopName(SolveStopReason reason) => reason switch
    {
        SolveStopReason.Certified => "certified",
        SolveStopReason.CriticalPoint => "critical_point",
        SolveStopReason.TimeBudget => "time_budget",
        SolveStopReason.Cancelled => "cancelled",
        _ => "all_starts_run",
    };

    internal static Dictionary<string, object?> BuildReport(string coarseSpec, string fineSpec, Graph coarse, Graph fine,
        ProlongationOptions options, ProlongationSolution solution) => new()
    {
        ["coarse"] = coarseSpec,
        ["fine"] = fineSpec,
        ["n_coarse"] = coarse.VertexCount,
        ["n_fine"] = fine.VertexCount,
        ["s"] = options.S,
        ["alpha"] = solution.Terms.Alpha,
        ["beta"] = solution.Terms.Beta,
        ["alpha_policy"] = options.Alpha.ToString(),
        ["beta_policy"] = options.Beta?.ToString() ?? "paper (n1/n2)",
        ["objective"] = solution.Terms.Objective,
        ["diffusion"] = solution.Terms.Diffusion,
        ["locality"] = double.IsNaN(solution.Terms.Locality) ? null : solution.Terms.Locality,
        ["initial_objective"] = solution.InitialObjective,
        ["iterations"] = solution.Iterations,
        ["seconds"] = solution.Seconds,
        ["gradient_norm"] = solution.GradientNorm,
        ["orthogonality_error"] = solution.OrthogonalityError,
        ["converged"] = solution.Converged,
        ["lower_bound"] = solution.LowerBound,
        ["globally_optimal"] = solution.GloballyOptimal,
        ["stop_reason"] = solution.Reason.ToString(),
        ["init"] = options.Init.ToString().ToLowerInvariant(),
        ["optimizer"] = options.Optimizer.ToString().ToLowerInvariant(),
        ["seed"] = options.Seed,
        ["winning_start"] = solution.WinningStart,
        ["starts_tried"] = solution.Starts.Count,
        ["canonical_distance_to_interpolation"] = solution.DistanceToInterpolation,
        ["distance_to_interpolation_before_canonical"] = solution.DistanceToInterpolationBefore,
        ["solve_stop"] = StopName(solution.SolveStop),
        ["relative_gradient"] = double.IsNaN(solution.RelativeGradient) ? null : solution.RelativeGradient,
        ["relative_gradient_own_start"] = double.IsNaN(solution.RelativeGradientOwnStart) ? null : solution.RelativeGradientOwnStart,
        ["start_policy"] = options.StopsWhenDone ? "stop-when-done" : "multi-start",
        ["skipped_starts"] = solution.Skipped.Select(k => new Dictionary<string, object?>
        {
            ["start"] = k.Start,
            ["initial_objective"] = double.IsNaN(k.InitialObjective) ? null : k.InitialObjective,
            ["reason"] = k.Reason,
        }).ToList(),
        ["starts"] = solution.Starts.Select(st => new Dictionary<string, object?>
        {
            ["start"] = st.Start,
            ["initial_objective"] = st.InitialObjective,
            ["final_objective"] = st.FinalObjective,
            ["iterations"] = st.Iterations,
            ["saddle_escapes"] = st.SaddleEscapes,
            ["stop_reason"] = st.Reason.ToString(),
            ["second_order"] = st.SecondOrder,
            ["cost_evaluations"] = st.CostEvaluations,
            ["hessian_products"] = st.HessianProducts,
            ["vertex_roundings"] = st.VertexRoundings,
            ["seconds"] = st.Seconds,
        }).ToList(),
    };

    private static void WriteRun(string directory, Dictionary<string, object?> report, ProlongationSolution solution, MatrixFileFormat format)
    {
        Directory.CreateDirectory(directory);
        solution.Map.Save(Path.Combine(directory, "P" + MatrixFiles.PrimaryExtension(format)), format);
        var p = solution.Map.Matrix.cpu();
        var values = new double[p.shape[0], p.shape[1]];
        var flat = p.data<double>().ToArray();
        for (int i = 0; i < values.GetLength(0); i++)
            for (int j = 0; j < values.GetLength(1); j++) values[i, j] = flat[i * values.GetLength(1) + j];
        Figures.Heatmap(Path.Combine(directory, "P.png"), values,
            $"|P|  {solution.Map.Provenance.CoarseGraph} → {solution.Map.Provenance.FineGraph}", "coarse vertex", "fine vertex");
        var history = solution.History;
        // A solve that starts at its optimum with E = 0 (a one-vertex pair) has nothing to show on log axes.
        bool positive = history.Any(h => h.Cost > 0 || h.GradientNorm > 0);
        Figures.Lines(Path.Combine(directory, "convergence.png"), "convergence (winning start)", "iteration", "value",
            new[]
            {
                new Series("objective E", history.Select(h => (double)h.Iteration + 1).ToArray(), history.Select(h => h.Cost).ToArray()),
                new Series("‖grad E‖", history.Select(h => (double)h.Iteration + 1).ToArray(), history.Select(h => h.GradientNorm).ToArray()),
            }, logX: true, logY: positive);
        WriteJson(Path.Combine(directory, "report.json"), report);
    }

    private static void WriteTradeoff(string directory, IReadOnlyList<(double S, ProlongationSolution Solution)> sweep)
    {
        var csv = new StringBuilder("s,diffusion,locality,objective,alpha,beta,iterations,seconds,converged,winning_start\n");
        foreach (var (s, sol) in sweep)
            csv.AppendLine(string.Create(CultureInfo.InvariantCulture,
                $"{s},{sol.Terms.Diffusion:R},{sol.Terms.Locality:R},{sol.Terms.Objective:R},{sol.Terms.Alpha:R},{sol.Terms.Beta:R},{sol.Iterations},{sol.Seconds:F3},{sol.Converged},{sol.WinningStart}"));
        AtomicFile.WriteAllText(Path.Combine(directory, "tradeoff.csv"), csv.ToString());
        Figures.Scatter(Path.Combine(directory, "tradeoff.png"), "trade-off between the terms (Fig. SM1)", "diffusion term", "locality term",
            new[] { new Series("optimized P", sweep.Select(r => r.Solution.Terms.Diffusion).ToArray(), sweep.Select(r => r.Solution.Terms.Locality).ToArray()) },
            sweep.Select(r => $"s={CommandRecord.Format(r.S)}").ToList());
    }

    internal static void WriteJson(string path, object value) =>
        AtomicFile.WriteAllText(path, JsonSerializer.Serialize(value, new JsonSerializerOptions { WriteIndented = true }) + "\n");
}
