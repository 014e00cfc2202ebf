return Candor.Delivery.DetachedUpload.Main(args);
