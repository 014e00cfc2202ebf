using TinyChecks;

// A user's program that validates a dataset with TinyChecks: `validate data.csv action...`, where each action is
// check, check-html, suite, suite-html, suite-json or suite-wandb. Reports go to the working folder.
if (args.Length < 2)
{
    Console.Error.WriteLine("usage: validate data.csv (check|check-html|suite|suite-html|suite-json|suite-wandb)...");
    return 2;
}

var data = Dataset.FromCsv(args[0]);
foreach (var action in args.Skip(1))
{
    switch (action)
    {
        case "check":
            var check = new MissingValuesCheck().Run(data);
            Console.WriteLine($"{check.Name}: {(check.Passed ? "passed" : "failed")}");
            break;
        case "check-html":
            new DuplicateRowsCheck().Run(data).SaveAsHtml("check.html");
            Console.WriteLine("Wrote check.html");
            break;
        case "suite":
            var suite = Suite.DataIntegrity().Run(data);
            Console.WriteLine($"{suite.Name}: {suite.Results.Count(r => r.Passed)} of {suite.Results.Count} checks passed");
            break;
        case "suite-html":
            Suite.DataIntegrity().Run(data).SaveAsHtml("suite.html");
            Console.WriteLine("Wrote suite.html");
            break;
        case "suite-json":
            File.WriteAllText("suite.json", Suite.DataIntegrity().Run(data).ToJson());
            Console.WriteLine("Wrote suite.json");
            break;
        case "suite-wandb":
            Console.WriteLine($"Logged to {Suite.DataIntegrity().Run(data).ToWandb(".")}");
            break;
        default:
            Console.Error.WriteLine($"validate: unknown action '{action}'");
            return 2;
    }
}

return 0;
